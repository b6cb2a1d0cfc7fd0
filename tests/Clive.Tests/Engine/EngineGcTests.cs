using System.Text.Json;
using Clive.Engine.Evaluation;
using Clive.Engine.Execution;
using Clive.Git;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// `clive gc` and the engine's cache: a cached result is either kept by gc or found gone and run
/// again, so no ref ever points at a missing commit (the new-user sequence of issue 12).
/// </summary>
public sealed class EngineGcTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private const string Model = """
        Cells.Command("upper").Files("a.txt").Run("tr a-z A-Z < a.txt > $CLIVE_OUT/a.txt; cat a.txt");
        """;

    private string Push(string content)
    {
        _sandbox.Commit("work", "a.txt", content);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        return _sandbox.RevParse("work", "HEAD");
    }

    /// <summary>Pushes "one", then "two", each run by a live engine; the caller runs gc and pushes "one" back.</summary>
    private EngineProcess RunOneThenTwo()
    {
        _sandbox.NewRepo("work", ("clive.csx", Model));
        Push("one\n");
        var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "upper");
        engine.WaitAtCommit("demo", Push("two\n"), CellState.Succeeded, "upper");
        engine.WaitIdle("demo");
        return engine;
    }

    /// <summary>What the new user ran after pushing "one" back: all of it must work.</summary>
    private void AssertEverythingReadable()
    {
        var fsck = _sandbox.Clive("fsck");
        Assert.True(fsck.ExitCode == 0, "fsck: " + fsck.Output);
        _sandbox.GitOk("", "clone", "-q", "--mirror", GitSandbox.Url("demo"), "mirror.git");
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "refs/clive/*:refs/clive/*");
        Assert.Equal("ONE\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/upper:out/a.txt").Stdout);
        Assert.Equal("one\n", _sandbox.Clive("logs", "upper").EnsureSuccess("clive logs").Stdout);
    }

    [Fact]
    public void Gc_KeepsRecentCachedResults_SoAnInputPushedBackReusesItsResult()
    {
        using var engine = RunOneThenTwo();

        _sandbox.Clive("gc").EnsureSuccess("gc");
        engine.WaitAtCommit("demo", Push("one\n"), CellState.Succeeded, "upper");
        engine.WaitIdle("demo");

        Assert.Equal(2, engine.Runs("demo")["upper"]); // "one" came from the cache
        AssertEverythingReadable();
    }

    [Fact]
    public void GcThatDropsACachedResult_TheEngineRunsTheCellAgain_NeverPublishingAMissingCommit()
    {
        using var engine = RunOneThenTwo();

        // The engine, running all along, still remembers "one"'s result in memory: gc drops it
        // in another process, and the engine must notice rather than publish it.
        var gc = JsonDocument.Parse(_sandbox.Clive("gc", "--keep-results", "now", "--json").EnsureSuccess("gc").Stdout).RootElement;
        Assert.Equal(1, gc.GetProperty("results_dropped").GetInt64());
        engine.WaitAtCommit("demo", Push("one\n"), CellState.Succeeded, "upper");
        engine.WaitIdle("demo");

        Assert.Equal(3, engine.Runs("demo")["upper"]);
        Assert.Contains("upper: its cached result was dropped by clive gc; running again", engine.Log);
        AssertEverythingReadable();
    }

    [Fact]
    public void AnEngineStartedAfterGc_RunsADroppedResultAgain()
    {
        RunOneThenTwo().Dispose();

        _sandbox.Clive("gc", "--keep-results", "now").EnsureSuccess("gc");
        var one = Push("one\n");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitAtCommit("demo", one, CellState.Succeeded, "upper");
        engine.WaitIdle("demo");

        Assert.Equal(3, engine.Runs("demo")["upper"]);
        AssertEverythingReadable();
    }

    [Fact]
    public void AResultDroppedAfterTheEngineFoundItCached_IsNotPublished_AndItsRefIsEvaluatedAgain()
    {
        // The race a check before reuse cannot close: gc commits between the evaluation's check
        // and the status flush. The flush checks again under the write lock gc also takes.
        _sandbox.NewRepo("work", ("a.txt", "one\n"));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var gone = ObjectId.HashObject(ObjectType.Commit, "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nnever stored\n"u8.ToArray());
        using var engineStore = new EngineStore(_sandbox.OpenStore());
        using var board = new StatusBoard(engineStore);

        board.Set(new CellStatus("demo", "refs/heads/main", "upper", CellState.Succeeded, [1, 2, 3], null, null, gone, 5, null, null, null,
            null, null, null));
        board.Flush();

        Assert.Equal("", _sandbox.StoreRef("demo", "refs/clive/cells/main/upper"));
        using var store = _sandbox.OpenStore();
        var status = Assert.Single(store.Cells.Statuses("demo"));
        Assert.Equal(CellState.Queued, status.State);
        Assert.Null(status.Result);
        Assert.Equal(("demo", "refs/heads/main"), Assert.Single(board.TakeDropped()));
        Assert.True(_sandbox.Clive("fsck").ExitCode == 0);
    }

    [Fact]
    public void Fsck_NamesACachedResultWhoseCommitIsMissing_AndGcForgetsIt()
    {
        // What a gc of an older clive left behind: a cache row naming a dropped commit.
        _sandbox.NewRepo("work", ("a.txt", "one\n"));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var gone = ObjectId.HashObject(ObjectType.Commit, "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\ndropped\n"u8.ToArray());
        using (var store = _sandbox.OpenStore())
        using (var transaction = store.BeginWrite())
        {
            store.Cells.SaveResult(new CellResult([0xab, 0xcd, 0xef, 0x01, 0x23, 0x45], "upper", CellState.Succeeded, null, null, gone, 0, 5,
                DateTimeOffset.UtcNow));
            transaction.Commit();
        }

        var fsck = _sandbox.Clive("fsck");
        Assert.Equal(1, fsck.ExitCode);
        Assert.Contains($"error: cached result abcdef012345 of cell upper names missing object {gone}", fsck.Stdout);

        var gc = JsonDocument.Parse(_sandbox.Clive("gc", "--json").EnsureSuccess("gc").Stdout).RootElement;
        Assert.Equal(1, gc.GetProperty("results_dropped").GetInt64());
        _sandbox.Clive("fsck").EnsureSuccess("fsck after gc");
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("1y")]
    [InlineData("2 weeks")]
    public void Gc_WithAnAgeItCannotRead_SaysSoInOneLine_AndChangesNothing(string age)
    {
        _sandbox.NewRepo("work", ("a.txt", "one\n"));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var before = _sandbox.StoreSnapshot();

        var gc = _sandbox.Clive("gc", "--keep-results", age);

        Assert.Equal(128, gc.ExitCode);
        Assert.Equal($"fatal: --keep-results: '{age}' is not an age (e.g. 2w, 3d, 12h, 30m, now)\n", gc.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }
}
