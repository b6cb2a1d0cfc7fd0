using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// Objects are shared by every repo of a store, but a client may only build on, or learn of, what
/// the refs it may read reach in the repo it talks to. Each test is an attack by 'mallory', who
/// may write x:refs/heads/public/* and knows the ids of x's hidden branch and of another repo's
/// main (ids leak: logs, CI output, a colleague's screen), driven through a real sshd.
/// </summary>
public sealed class VisibilityTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private readonly SshServer _ssh;
    private readonly string _public;
    private readonly Dictionary<string, (string Commit, string Tree, string Blob, string Content)> _hidden = [];

    public VisibilityTests()
    {
        _ssh = new SshServer(_sandbox);
        _ssh.AddIdentity("mallory");
        _sandbox.NewRepo("src", ("a", "public"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("x"), "main:refs/heads/public/main");
        _public = _sandbox.RevParse("src", "HEAD");
        _sandbox.Commit("src", "s", "the secret of x");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("x"), "main:refs/heads/secret");
        _hidden["hidden branch"] = Describe("src", "s", "the secret of x");
        _sandbox.NewRepo("other", ("o", "the secret of another repo"));
        _sandbox.GitOk("other", "push", "-q", GitSandbox.Url("other"), "main");
        _hidden["other repo"] = Describe("other", "o", "the secret of another repo");
        _sandbox.Clive("grant", "mallory", "write", "x:refs/heads/public/*").EnsureSuccess("grant");
    }

    public void Dispose()
    {
        _ssh.Dispose();
        _sandbox.Dispose();
    }

    private (string, string, string, string) Describe(string repo, string path, string content)
        => (_sandbox.RevParse(repo, "HEAD"), _sandbox.RevParse(repo, "HEAD^{tree}"), _sandbox.RevParse(repo, "HEAD:" + path), content);

    [SkippableTheory]
    [InlineData("hidden branch")]
    [InlineData("other repo")]
    public void EmptyPackPush_OfACommitMalloryCannotRead_IsRefused_AndNoRefIsMade(string whose)
    {
        var before = _sandbox.StoreSnapshot();

        var result = RawPush($"{Zero} {_hidden[whose].Commit} {Steal}", EmptyPack());

        AssertRefused(before, result, missingObjects: true);
        Assert.Equal("", _sandbox.StoreRef("x", Steal));
    }

    [SkippableTheory]
    [InlineData("hidden branch")]
    [InlineData("other repo")]
    public void Push_OfACommitWhoseTreeMalloryCannotRead_IsRefused(string whose)
    {
        var before = _sandbox.StoreSnapshot();
        var commit = CommitText(_hidden[whose].Tree, _public);
        var pack = Pack((1, commit, null));

        var result = RawPush($"{Zero} {Hash("commit", commit)} {Steal}", pack);

        AssertRefused(before, result);
    }

    [SkippableTheory]
    [InlineData("hidden branch")]
    [InlineData("other repo")]
    public void ThinPush_WhoseDeltaBaseMalloryCannotRead_IsRefused(string whose)
    {
        var before = _sandbox.StoreSnapshot();
        var hidden = _hidden[whose];
        // A delta that copies its whole base: were the base looked up store-wide, the server would
        // rebuild the hidden blob inside x for mallory, and every fsck error about the result
        // would tell her something about bytes she has never seen.
        var size = Encoding.UTF8.GetByteCount(hidden.Content);
        byte[] delta = [.. Varint(size), .. Varint(size), 0x80 | 0x10 | 0x20, (byte)size, (byte)(size >> 8)];
        var tree = TreeText("stolen", hidden.Blob);
        var commit = CommitText(Hash("tree", tree), _public);
        var pack = Pack((7, delta, hidden.Blob), (2, tree, null), (1, commit, null));

        var result = RawPush($"{Zero} {Hash("commit", commit)} {Steal}", pack);

        AssertRefused(before, result);
    }

    [SkippableTheory]
    [InlineData("hidden branch")]
    [InlineData("other repo")]
    public void UploadPack_AcksOnlyHavesMalloryCanRead(string whose)
    {
        var hidden = _hidden[whose];
        var request = Pkt("command=fetch") + "0001" + Pkt($"want {_public}") + Pkt($"have {hidden.Commit}") + Pkt($"have {hidden.Tree}")
            + Pkt($"have {hidden.Blob}") + Pkt($"have {_public}") + "0000";

        var result = _ssh.SshAs("mallory", Encoding.ASCII.GetBytes(request), "git-upload-pack", "x");

        Assert.Contains("ACK " + _public, result.Stdout);
        Assert.DoesNotContain(hidden.Commit, result.Stdout);
        Assert.DoesNotContain(hidden.Tree, result.Stdout);
        Assert.DoesNotContain(hidden.Blob, result.Stdout);
    }

    [SkippableTheory]
    [InlineData("hidden branch")]
    [InlineData("other repo")]
    public void UploadPack_RefusesWantsOutsideTheRefsMalloryCanRead(string whose)
    {
        var request = Pkt("command=fetch") + "0001" + Pkt($"want {_hidden[whose].Commit}") + Pkt("done") + "0000";

        var result = _ssh.SshAs("mallory", Encoding.ASCII.GetBytes(request), "git-upload-pack", "x");

        Assert.Contains("ERR not our ref " + _hidden[whose].Commit, result.Stdout);
        Assert.DoesNotContain("packfile", result.Stdout);
    }

    [SkippableFact]
    public void OwnerPush_ReferringToAnotherReposObjects_IsRefusedToo()
    {
        var before = _sandbox.StoreSnapshot();
        var hidden = _hidden["other repo"];
        var commit = CommitText(hidden.Tree, _public);
        const string main = "refs/heads/public/main";
        var input = Pkt($"{_public} {hidden.Commit} {main}\0report-status") + "0000";
        var tipOnly = ServeAsOwner("x", [.. Encoding.ASCII.GetBytes(input), .. EmptyPack()]);
        AssertRefused(before, tipOnly, main, missingObjects: true);

        input = Pkt($"{_public} {Hash("commit", commit)} {main}\0report-status") + "0000";
        var treeOnly = ServeAsOwner("x", [.. Encoding.ASCII.GetBytes(input), .. Pack((1, commit, null))]);
        AssertRefused(before, treeOnly, main);
    }

    [SkippableFact]
    public void ThinPush_OfABranchFromAnOldCommit_ResolvesItsBaseFromThatCommit()
    {
        // Three versions of a file big enough to be sent as a delta; the branch starts at the
        // first, so its delta base is in no ref's tip: only in the tree of the commit it forks from.
        string Version(int v) => string.Concat(Enumerable.Range(0, 400).Select(i => $"line {i} of a long file{(i == 200 ? " v" + v : "")}\n"));
        _ssh.GitAs("mallory", "", "clone", "-q", "-b", "public/main", _ssh.Url("x"), "copy").EnsureSuccess("clone");
        for (int v = 1; v <= 3; v++) _sandbox.Commit("copy", "big.txt", Version(v));
        _ssh.GitAs("mallory", "copy", "push", "-q", "origin", "HEAD:refs/heads/public/main").EnsureSuccess("push of three versions");
        _sandbox.GitOk("copy", "checkout", "-q", "-b", "feature", "HEAD~2");
        _sandbox.Commit("copy", "big.txt", Version(1) + "one more line\n");

        var push = _ssh.GitAs("mallory", "copy", "push", "--progress", "origin", "feature:refs/heads/public/feature");

        push.EnsureSuccess("thin push from an old commit");
        Assert.Contains("(delta 1)", push.Stderr);
        Assert.Equal(_sandbox.RevParse("copy", "feature"), _sandbox.StoreRef("x", "refs/heads/public/feature"));
        _sandbox.Clive("fsck").EnsureSuccess("fsck");
    }

    /// <summary>
    /// A refused push: its ref is reported "ng" and the store is as it was. A pack that fails
    /// verification is not unpacked; an empty one unpacks, and its ref, which would point at objects
    /// the pusher cannot read, is refused with git's "missing necessary objects".
    /// </summary>
    private void AssertRefused(string before, ProcessResult result, string refName = Steal, bool missingObjects = false)
    {
        if (missingObjects) Assert.Contains($"ng {refName} missing necessary objects", result.Stdout);
        else
        {
            Assert.DoesNotContain("unpack ok", result.Stdout);
            Assert.Contains($"ng {refName}", result.Stdout);
        }
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    // ---- a hand-made client: what an attacker writes instead of using git ----

    private const string Steal = "refs/heads/public/steal";
    private static readonly string Zero = new('0', 40);

    private ProcessResult RawPush(string command, byte[] pack)
        => _ssh.SshAs("mallory", [.. Encoding.ASCII.GetBytes(Pkt(command + "\0report-status") + "0000"), .. pack], "git-receive-pack", "x");

    private ProcessResult ServeAsOwner(string repo, byte[] input)
        => ProcessRunner.Run(Binaries.Clive, ["serve", "git-receive-pack", repo], _sandbox.Root,
            _sandbox.Environment, input);

    private static string Pkt(string line) => $"{Encoding.UTF8.GetByteCount(line) + 5:x4}{line}\n";

    private static byte[] CommitText(string tree, string parent)
        => Encoding.ASCII.GetBytes($"tree {tree}\nparent {parent}\nauthor M <m@example.com> 1700000000 +0000\n"
            + "committer M <m@example.com> 1700000000 +0000\n\nsteal\n");

    private static byte[] TreeText(string name, string blob)
        => [.. Encoding.ASCII.GetBytes($"100644 {name}\0"), .. Convert.FromHexString(blob)];

    private static string Hash(string type, byte[] content)
        => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"{type} {content.Length}\0"), .. content]));

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value & 0x7F | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static byte[] EmptyPack() => Pack();

    /// <summary>A version 2 pack of whole objects (type 1-4) and ref-deltas (type 7, with the base's id).</summary>
    private static byte[] Pack(params (int Type, byte[] Data, string? Base)[] entries)
    {
        var pack = new List<byte>("PACK"u8.ToArray()) { 0, 0, 0, 2, 0, 0, 0, (byte)entries.Length };
        foreach (var (type, data, baseId) in entries)
        {
            int size = data.Length;
            pack.Add((byte)(type << 4 | size & 0x0F | (size > 0x0F ? 0x80 : 0)));
            for (size >>= 4; size > 0; size >>= 7) pack.Add((byte)(size & 0x7F | (size > 0x7F ? 0x80 : 0)));
            if (baseId is not null) pack.AddRange(Convert.FromHexString(baseId));
            var compressed = new MemoryStream();
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(data);
            pack.AddRange(compressed.ToArray());
        }
        return [.. pack, .. SHA1.HashData([.. pack])];
    }
}
