using System.Text;
using Clive.Git;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// git's fsck rules at error severity (with <c>receive.fsckObjects</c>, which makes warnings
/// errors too), replayed: each crafted push goes byte for byte to git's receive-pack and to
/// clive's, and both must give the same verdict. Names follow git's fsck message ids.
/// </summary>
public sealed class FsckRulesTests : IDisposable
{
    private const string Ident = "Ada Author <ada@example.com> 1700000000 +0000";
    private readonly GitSandbox _sandbox = new();
    private readonly RawPush _push;

    public FsckRulesTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _push = new RawPush(_sandbox, "src");
    }

    public void Dispose() => _sandbox.Dispose();

    public static TheoryData<string, bool, bool> Cases => WithCliveAsGit(new()
    {
        { "valid commit", true },
        { "tree entry '.git ' (trailing space)", false },
        { "tree entry 'git~1' (NTFS short name)", false },
        { "tree entry 'GIT~1'", false },
        { "tree entry '.git\u200c' (HFS+ ignorable)", false },
        { "tree entry '.g\u200dit'", false },
        { "tree entry '.Git.' (trailing dot)", false },
        { "tree entry '.GIT'", false },
        { "tree entry '.git::$INDEX_ALLOCATION' (NTFS stream)", false },
        { "tree entry '.git.. . '", false },
        { "tree entry '.gitfoo' is fine", true },
        { "tree entry 'git~2' is fine", true },
        { ".gitmodules as a symlink", false },
        { ".GITMODULES as a symlink", false },
        { "gitmod~1 as a symlink", false },
        { "directory named .gitmodules", false },
        { ".gitmodules with url starting with '-'", false },
        { ".gitmodules with quoted url starting with '-'", false },
        { ".gitmodules with submodule name '../'", false },
        { ".gitmodules with submodule name 'a/../b'", false },
        { ".gitmodules with submodule name '..\\\\evil'", false },
        { ".gitmodules with path starting with '-'", false },
        { ".gitmodules with update '!command'", false },
        { ".gitmodules valid", true },
        { "GITMOD~1 with url starting with '-'", false },
        { ".gitattributes with a 2048-byte line", false },
        { ".GitAttributes with a 2048-byte line", false },
        { ".gitattributes with a 2047-byte line", true },
        { ".gitattributes as a symlink", true },
        { "NUL in commit header", false },
        { "NUL in commit message", false },
        { "zero-padded date", false },
        { "date 0 is fine", true },
        { "date overflowing", false },
        { "bad email (no '>')", false },
        { "missing space before date", false },
        { "missing space before email", false },
        { "missing name before email", false },
        { "bad time zone", false },
        { "two author lines", false },
        { "unterminated header", false },
        { "tree entry pointing at the null id", false },
        { "tree entry with mode 100664", true }, // what very old gits wrote; receive-pack lets it through
        { "tag with NUL in its header", false },
        { "tag with a zero-padded tagger date", false },
    });

    private static TheoryData<string, bool, bool> WithCliveAsGit(TheoryData<string, bool> cases)
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var row in cases) data.Add((string)row[0], (bool)row[1], (bool)row[1]);
        data.Add("date past 2^52", true, false); // clive's one stricter rule: dates past 2^52 s, which no clock reaches, are refused
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CraftedObject_IsJudgedAsGitJudgesIt(string name, bool gitAccepts, bool cliveAccepts)
    {
        var (pack, tip, refName) = Case(name);
        var bytes = pack.ToBytes();
        var before = _sandbox.StoreSnapshot();

        var git = _push.ToGit(tip, bytes, refName);
        var clive = _push.ToClive(tip, bytes, refName);

        Assert.True(gitAccepts == RawPush.Accepted(git, refName), $"git: {git.Output}");
        Assert.True(cliveAccepts == RawPush.Accepted(clive, refName), $"clive: {clive.Output}");
        if (!cliveAccepts)
        {
            Assert.Matches(@"unpack [^\n]{10,}", clive.Stdout);
            Assert.Equal(before, _sandbox.StoreSnapshot());
        }
    }

    private (CraftedPack Pack, ObjectId Tip, string Ref) Case(string name)
    {
        var pack = new CraftedPack();
        var blob = pack.Add(ObjectType.Blob, "some content\n");
        ObjectId Entry(string mode, string entryName, ObjectId? id = null) => pack.AddTree(SortedWith(("100644", "a", blob), (mode, entryName, id ?? blob)));
        ObjectId FileNamed(string text, string entryName = ".gitmodules") => Entry("100644", entryName, pack.Add(ObjectType.Blob, text));
        ObjectId Raw(string commit) => pack.Add(ObjectType.Commit, commit);
        var tree = pack.AddTree(("100644", "a", blob));
        ObjectId With(string author) => Raw($"tree {tree}\nparent {_push.Base}\nauthor {author}\ncommitter {Ident}\n\nm\n");
        (CraftedPack, ObjectId, string) Commit(ObjectId tree) => (pack, Raw($"tree {tree}\nparent {_push.Base}\nauthor {Ident}\ncommitter {Ident}\n\nm\n"), "refs/heads/main");
        (CraftedPack, ObjectId, string) Main(ObjectId commit) => (pack, commit, "refs/heads/main");
        (CraftedPack, ObjectId, string) Tag(string text) => (pack, pack.Add(ObjectType.Tag, text), "refs/tags/t");
        var head = $"tree {tree}\nparent {_push.Base}\n";

        return name switch
        {
            "valid commit" => Commit(tree),
            "tree entry '.git ' (trailing space)" => Commit(Entry("100644", ".git ")),
            "tree entry 'git~1' (NTFS short name)" => Commit(Entry("100644", "git~1")),
            "tree entry 'GIT~1'" => Commit(Entry("40000", "GIT~1", tree)),
            "tree entry '.git\u200c' (HFS+ ignorable)" => Commit(Entry("100644", ".git\u200c")),
            "tree entry '.g\u200dit'" => Commit(Entry("40000", ".g\u200dit", tree)),
            "tree entry '.Git.' (trailing dot)" => Commit(Entry("100644", ".Git.")),
            "tree entry '.GIT'" => Commit(Entry("40000", ".GIT", tree)),
            "tree entry '.git::$INDEX_ALLOCATION' (NTFS stream)" => Commit(Entry("40000", ".git::$INDEX_ALLOCATION", tree)),
            "tree entry '.git.. . '" => Commit(Entry("100644", ".git.. . ")),
            "tree entry '.gitfoo' is fine" => Commit(Entry("100644", ".gitfoo")),
            "tree entry 'git~2' is fine" => Commit(Entry("100644", "git~2")),
            ".gitmodules as a symlink" => Commit(Entry("120000", ".gitmodules")),
            ".GITMODULES as a symlink" => Commit(Entry("120000", ".GITMODULES")),
            "gitmod~1 as a symlink" => Commit(Entry("120000", "gitmod~1")),
            "directory named .gitmodules" => Commit(Entry("40000", ".gitmodules", tree)),
            ".gitmodules with url starting with '-'" => Commit(FileNamed("[submodule \"x\"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwned\n")),
            ".gitmodules with quoted url starting with '-'" => Commit(FileNamed("[submodule \"x\"]\n\tpath = x\n\tURL = \"-u\"\"pload\"\n")),
            ".gitmodules with submodule name '../'" => Commit(FileNamed("[submodule \"../../modules/evil\"]\n\tpath = x\n\turl = https://example.com/x\n")),
            ".gitmodules with submodule name 'a/../b'" => Commit(FileNamed("[submodule \"a/../b\"]\n\turl = https://example.com/x\n")),
            ".gitmodules with submodule name '..\\\\evil'" => Commit(FileNamed("[submodule \"..\\\\evil\"]\n\turl = https://example.com/x\n")),
            ".gitmodules with path starting with '-'" => Commit(FileNamed("[submodule \"x\"]\n\tpath = -x\n\turl = https://example.com/x\n")),
            ".gitmodules with update '!command'" => Commit(FileNamed("[submodule \"x\"]\n\tpath = x\n\turl = https://example.com/x\n\tupdate = !touch /tmp/pwned\n")),
            ".gitmodules valid" => Commit(FileNamed("# a comment\n[submodule \"lib/x\"]\n\tpath = lib/x ; trailing\n\turl = https://example.com/-x\n[core]\n\turl = -not-a-submodule\n")),
            ".gitattributes with a 2048-byte line" => Commit(FileNamed("*.c text\n" + new string('x', 2048) + " text\n", ".gitattributes")),
            ".GitAttributes with a 2048-byte line" => Commit(FileNamed(new string('x', 2048), ".GitAttributes")),
            ".gitattributes with a 2047-byte line" => Commit(FileNamed(new string('x', 2047) + "\n", ".gitattributes")),
            ".gitattributes as a symlink" => Commit(Entry("120000", ".gitattributes")),
            "GITMOD~1 with url starting with '-'" => Commit(FileNamed("[submodule \"x\"]\n\turl = -x\n", "GITMOD~1")),
            "NUL in commit header" => Main(Raw(head + $"author {Ident}\ncommitter {Ident}\nencoding a\0b\n\nm\n")),
            "NUL in commit message" => Main(Raw(head + $"author {Ident}\ncommitter {Ident}\n\nm\0m\n")),
            "zero-padded date" => Main(With("Ada <ada@example.com> 01700000000 +0000")),
            "date 0 is fine" => Main(With("Ada <ada@example.com> 0 +0000")),
            "date overflowing" => Main(With("Ada <ada@example.com> 18446744073709551617 +0000")),
            "date past 2^52" => Main(With("Ada <ada@example.com> 9007199254740993 +0000")),
            "bad email (no '>')" => Main(With("Ada <ada@example.com 1700000000 +0000")),
            "missing space before date" => Main(With("Ada <ada@example.com>1700000000 +0000")),
            "missing space before email" => Main(With("Ada<ada@example.com> 1700000000 +0000")),
            "missing name before email" => Main(With("<ada@example.com> 1700000000 +0000")),
            "bad time zone" => Main(With("Ada <ada@example.com> 1700000000 +00000")),
            "two author lines" => Main(Raw(head + $"author {Ident}\nauthor {Ident}\ncommitter {Ident}\n\nm\n")),
            "unterminated header" => Main(Raw(head + $"author {Ident}\ncommitter {Ident}")),
            "tree entry pointing at the null id" => Commit(pack.AddTree(("100644", "a", blob), ("160000", "sub", ObjectId.Zero))),
            "tree entry with mode 100664" => Commit(pack.AddTree(("100664", "a", blob))),
            "tag with NUL in its header" => Tag($"object {tree}\ntype tree\ntag t\0x\ntagger {Ident}\n\nm\n"),
            "tag with a zero-padded tagger date" => Tag($"object {tree}\ntype tree\ntag t\ntagger Ada <ada@example.com> 01700000000 +0000\n\nm\n"),
            _ => throw new ArgumentException(name),
        };
    }

    /// <summary>Entries in git's tree order (a directory sorts as if its name ended in '/').</summary>
    private static (string Mode, string Name, ObjectId Id)[] SortedWith(params (string Mode, string Name, ObjectId Id)[] entries)
        => entries.OrderBy(e => Encoding.UTF8.GetBytes(e.Name + (e.Mode == "40000" ? "/" : "")), ByteOrder.Instance).ToArray();

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
