using Clive.Git;
using Clive.Store;
using Clive.Store.Refs;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>Refs change only through a RefTransaction: every change, HEAD's included, is an event and a reflog row, or nothing is written.</summary>
public sealed class RefTransactionTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private const string Who = "local:tester";

    public RefTransactionTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.GitOk("src", "checkout", "-q", "-b", "dev");
        _sandbox.Commit("src", "b", "2");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "dev");
    }

    public void Dispose() => _sandbox.Dispose();

    private ObjectId Commit(string rev) => ObjectId.Parse(_sandbox.RevParse("src", rev));

    [Fact]
    public void CreatingARepo_RecordsItsHead_AsAnEvent()
    {
        _sandbox.Clive("repo", "create", "empty", "--branch", "trunk").EnsureSuccess("clive repo create");

        using var store = _sandbox.OpenStore();
        var created = Assert.Single(store.Events.Log("empty", null, 10));
        Assert.Equal(("HEAD", ObjectId.Zero, ObjectId.Zero), (created.Ref, created.Old, created.New));
        Assert.Equal("repo create: HEAD → refs/heads/trunk", created.Why);
        // A push that creates a repo records its HEAD too, before the branch it names exists.
        var pushed = Assert.Single(store.Events.Log("demo", "HEAD", 10));
        Assert.Equal("push: HEAD → refs/heads/main", pushed.Why);
    }

    [Fact]
    public void MovingHead_IsAnEvent_FromTheCommitItNamedToTheOneItNames()
    {
        long before;
        using (var store = _sandbox.OpenStore())
        {
            before = store.Events.Latest();
            using var transaction = store.BeginRefTransaction(Who, "switch");
            transaction.SetSymbolic("demo", RefDatabase.Head, "refs/heads/dev");
            transaction.Commit();
        }

        using (var store = _sandbox.OpenStore())
        {
            var moved = Assert.Single(store.Events.Since(before));
            Assert.Equal(("demo", "HEAD", Commit("main"), Commit("dev"), Who), (moved.Repo, moved.Ref, moved.Old, moved.New, moved.Who));
            Assert.Equal("switch: HEAD → refs/heads/dev", moved.Why);
            Assert.Equal("refs/heads/dev", store.Refs.SymbolicTarget(store.Repos.GetId("demo"), RefDatabase.Head));
        }
        // The same row is HEAD's reflog, and the store-wide event, for the real commands.
        Assert.Contains("switch: HEAD → refs/heads/dev", _sandbox.Clive("log", "demo", "HEAD", "-n", "1").EnsureSuccess("clive log").Stdout);
        Assert.Contains($"{before + 1} demo HEAD {Commit("main")} {Commit("dev")} {Who} switch", _sandbox.Clive("events", "--since", before.ToString()).Stdout);
    }

    [Fact]
    public void DeletingARepo_IsAnEventForEachOfItsRefs_HeadIncluded()
    {
        long before;
        using (var store = _sandbox.OpenStore()) before = store.Events.Latest();

        _sandbox.Clive("repo", "delete", "demo").EnsureSuccess("clive repo delete");

        using var after = _sandbox.OpenStore();
        var events = after.Events.Since(before).Select(e => (e.Ref, e.Old, e.New)).OrderBy(e => e.Ref, StringComparer.Ordinal).ToList();
        Assert.Equal([("HEAD", Commit("main"), ObjectId.Zero), ("refs/heads/dev", Commit("dev"), ObjectId.Zero), ("refs/heads/main", Commit("main"), ObjectId.Zero)], events);
    }

    [Fact]
    public void DeletingARepo_ForgetsItsMountEditsAndCellRows_AndLeavesOtherReposAlone()
    {
        using (var store = _sandbox.OpenStore())
        {
            foreach (var repo in new[] { "demo", "other" })
            {
                store.Overlay.Save(repo, "refs/heads/main", [new Clive.Store.Overlay.OverlayEntry("kept.txt", Clive.Store.Overlay.OverlayKind.File, null, Commit("main"), 1)]);
                using var rows = store.BeginWrite();
                store.Cells.SetStatus(new Clive.Store.Cells.CellStatus(repo, "refs/heads/main", "build", "succeeded", [1], Commit("main"), null, Commit("main"),
                    1, null, null, null, null, null, null));
                store.Cells.BeginRun(repo, "refs/heads/main", "build", [1], 0, DateTimeOffset.UtcNow);
                store.Cells.SetModel(new Clive.Store.Cells.ModelStatus(repo, "refs/heads/main", Commit("main"), "loaded", null, 1, DateTimeOffset.UtcNow));
                rows.Commit();
            }
        }

        _sandbox.Clive("repo", "delete", "demo").EnsureSuccess("clive repo delete");

        using var after = _sandbox.OpenStore();
        foreach (var (repo, expected) in new[] { ("demo", 0), ("other", 1) })
        {
            Assert.Equal(expected, after.Overlay.Load(repo, "refs/heads/main").Count);
            Assert.Equal(expected, after.Cells.Statuses(repo, "refs/heads/main").Count);
            Assert.Equal(expected, after.Cells.Runs(repo).Count);
            Assert.Equal(expected, after.Connection.Scalar<long>("SELECT count(*) FROM engine_models WHERE repo=$repo", ("$repo", repo)));
        }
    }

    [Fact]
    public void AnAtomicUpdateWithOneStaleRef_WritesNothing()
    {
        var snapshot = _sandbox.StoreSnapshot();
        using (var store = _sandbox.OpenStore())
        {
            using var transaction = store.BeginRefTransaction(Who, "test");
            var results = transaction.Update("demo", [
                new RefUpdate("refs/heads/main", Commit("main"), Commit("dev")),
                new RefUpdate("refs/heads/dev", Commit("main"), Commit("main")), // stale: dev is not at main
            ], atomic: true);
            Assert.Equal([RefUpdateStatus.AtomicFailed, RefUpdateStatus.Stale], results.Select(r => r.Status));
            transaction.Commit();
        }
        Assert.Equal(snapshot, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void ATransactionNotCommitted_LeavesNoRefAndNoEvent()
    {
        var snapshot = _sandbox.StoreSnapshot();
        using (var store = _sandbox.OpenStore())
        {
            using var transaction = store.BeginRefTransaction(Who, "test");
            transaction.Update("demo", [new RefUpdate("refs/heads/main", Commit("main"), Commit("dev"))], atomic: true);
            transaction.SetSymbolic("demo", RefDatabase.Head, "refs/heads/dev");
        }
        Assert.Equal(snapshot, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void HeadCannotBeOverwrittenByAnId()
    {
        using var store = _sandbox.OpenStore();
        using var transaction = store.BeginRefTransaction(Who, "test");
        var result = Assert.Single(transaction.Update("demo", [new RefUpdate("HEAD", ObjectId.Zero, Commit("main"))], atomic: true));
        Assert.Equal(RefUpdateStatus.Invalid, result.Status);
    }

    [Fact]
    public void ARefToAnObjectTheStoreDoesNotHave_IsRefused_AndNothingIsWritten()
    {
        var snapshot = _sandbox.StoreSnapshot();
        var missing = ObjectId.HashObject(ObjectType.Commit, "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nnowhere\n"u8);
        using (var store = _sandbox.OpenStore())
        {
            using var transaction = store.BeginRefTransaction(Who, "test");
            var results = transaction.Update("demo", [
                new RefUpdate("refs/heads/main", Commit("main"), missing),
                new RefUpdate("refs/heads/new", ObjectId.Zero, Commit("dev")),
            ], atomic: true);
            Assert.Equal([RefUpdateStatus.Invalid, RefUpdateStatus.AtomicFailed], results.Select(r => r.Status));
            Assert.Equal("missing necessary objects", results[0].Message);
            transaction.Commit();
        }
        Assert.Equal(snapshot, _sandbox.StoreSnapshot());
    }
}
