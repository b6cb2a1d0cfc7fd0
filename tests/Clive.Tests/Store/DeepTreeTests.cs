using Clive.Engine.Inputs;
using Clive.Engine.Scripting;
using Clive.Git;
using Clive.Packs;
using Clive.Store;
using Clive.Store.Maintenance;
using Clive.Transfer;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>
/// A tree nested 100,000 directories deep, as a store may hold from before receive capped the
/// depth (or through pushes stacked on one another): every walk of it must finish, not overflow
/// the stack (clone served by clive, <c>clive up</c>'s file sets and script finder, fsck).
/// </summary>
public sealed class DeepTreeTests : IDisposable
{
    private const int Depth = 100_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("clive-deep-").FullName;
    private readonly CliveStore _store;
    private readonly ObjectId _commit;
    private readonly ObjectId _root;
    private readonly ObjectId _blob;

    public DeepTreeTests()
    {
        _store = CliveStore.Open(_directory);
        var pack = new NewObjectsPack();
        _blob = pack.Add(ObjectType.Blob, "deep\n"u8);
        var tree = pack.Add(ObjectType.Tree, CraftedTree(("100644", "f", _blob)));
        for (int i = 1; i < Depth; i++) tree = pack.Add(ObjectType.Tree, CraftedTree(("40000", "d", tree)));
        var script = pack.Add(ObjectType.Blob, "// a model\n"u8);
        _root = pack.Add(ObjectType.Tree, CraftedTree((("100644", ModelLoader.ScriptName, script)), ("40000", "d", tree)));
        var ident = "Ada Author <ada@example.com> 1700000000 +0000";
        _commit = pack.Add(ObjectType.Commit, System.Text.Encoding.UTF8.GetBytes($"tree {_root}\nauthor {ident}\ncommitter {ident}\n\ndeep\n"));
        using var transaction = _store.BeginWrite();
        pack.InsertInto(_store.Objects);
        transaction.Commit();
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private static byte[] CraftedTree(params (string Mode, string Name, ObjectId Id)[] entries) => Fixtures.CraftedPack.Tree(entries);

    [Fact]
    public void CloneWalk_OfTree100000Deep_Finishes()
    {
        var walk = new ObjectWalk(_store.Objects).Run([_commit], [], null);

        Assert.Equal(Depth + 4, walk.Objects.Count); // the commit, every tree, the file and the script
        Assert.Contains(_blob, walk.Objects);
    }

    [Fact]
    public void FileListing_OfTree100000Deep_Finishes()
    {
        var files = new TreeReader(_store).Files(_root, "").ToList();

        Assert.Equal(2, files.Count);
        Assert.Equal(string.Join('/', Enumerable.Repeat("d", Depth)) + "/f", files[1].Path);
    }

    [Fact]
    public void ScriptFinder_OnTree100000Deep_Finishes()
    {
        var loader = new ModelLoader(new TreeReader(_store), new ScriptCompiler(Path.Combine(_directory, "models")));

        Assert.Equal(["/" + ModelLoader.ScriptName], loader.FindScripts(_root));
    }

    [Fact]
    public void Fsck_OfTree100000Deep_Finishes() => Assert.True(new StoreChecker(_store, null).Run().Clean);
}
