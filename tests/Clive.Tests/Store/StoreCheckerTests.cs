using System.Text;
using Clive.Git;
using Clive.Packs;
using Clive.Store;
using Clive.Store.Maintenance;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>
/// <c>clive fsck</c> on objects that receive now refuses but an older store may hold (written
/// before the checks, or by a bug): it must name them, not call the store clean.
/// </summary>
public sealed class StoreCheckerTests : IDisposable
{
    private const string Ident = "Ada Author <ada@example.com> 1700000000 +0000";
    private readonly string _directory = Directory.CreateTempSubdirectory("clive-fsck-").FullName;
    private readonly CliveStore _store;

    public StoreCheckerTests() => _store = CliveStore.Open(_directory);

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Fsck_OfCommitWhoseTreeIsABlob_ReportsIt()
    {
        var problems = Check(pack =>
        {
            var blob = pack.Add(ObjectType.Blob, "x\n"u8);
            pack.Add(ObjectType.Commit, Encoding.UTF8.GetBytes($"tree {blob}\nauthor {Ident}\ncommitter {Ident}\n\nm\n"));
        });

        Assert.Contains(problems, p => p.Contains("as a tree, but it is a blob"));
    }

    [Fact]
    public void Fsck_OfFileEntryThatIsATree_ReportsIt()
    {
        var problems = Check(pack =>
        {
            var inner = pack.Add(ObjectType.Tree, CraftedPack.Tree(("100644", "f", pack.Add(ObjectType.Blob, "x\n"u8))));
            pack.Add(ObjectType.Tree, CraftedPack.Tree(("100644", "g", inner)));
        });

        Assert.Contains(problems, p => p.Contains("as a blob, but it is a tree"));
    }

    [Fact]
    public void Fsck_OfGitmodulesWithOptionUrl_ReportsIt()
    {
        var problems = Check(pack =>
        {
            var modules = pack.Add(ObjectType.Blob, "[submodule \"x\"]\n\turl = --upload-pack=touch /tmp/pwned\n"u8);
            pack.Add(ObjectType.Tree, CraftedPack.Tree(("100644", ".gitmodules", modules)));
        });

        Assert.Contains(problems, p => p.Contains("disallowed submodule url"));
    }

    [Fact]
    public void Fsck_OfWellFormedObjects_IsClean()
        => Assert.Empty(Check(pack =>
        {
            var tree = pack.Add(ObjectType.Tree, CraftedPack.Tree(("100644", "f", pack.Add(ObjectType.Blob, "x\n"u8))));
            pack.Add(ObjectType.Commit, Encoding.UTF8.GetBytes($"tree {tree}\nauthor {Ident}\ncommitter {Ident}\n\nm\n"));
        }));

    private IReadOnlyList<string> Check(Action<NewObjectsPack> write)
    {
        var pack = new NewObjectsPack();
        write(pack);
        using (var transaction = _store.BeginWrite())
        {
            pack.InsertInto(_store.Objects);
            transaction.Commit();
        }
        return new StoreChecker(_store, null).Run().Problems;
    }
}
