using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Command cells run as Remote Execution API actions on Bazel's reference worker (a real gRPC
/// server on loopback): the same outputs as a local run, action-cache hits for a second store,
/// failures that block dependents, and a farm that dies mid-run falling back to a local run.
/// </summary>
public sealed class ReapiExecutionTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned)) owned.Dispose();
        _sandbox.Dispose();
    }

    // upper: $CLIVE_OUT; listing: an output glob in the cell's directory, an executable and a symlink; count: reads upper's output.
    private const string Model = """
        var upper = Cells.Command("upper").Files("src/*.txt").Run("cat src/*.txt | tr a-z A-Z > $CLIVE_OUT/upper.txt; echo made upper; echo to stderr >&2");
        Cells.Command("count").From(upper).Run("wc -c < upper/upper.txt | tr -d ' ' > $CLIVE_OUT/count");
        Cells.Command("listing").Files("src/b.txt").Output("gen/**").Run("mkdir -p gen/sub && ls src > gen/list && printf '#!/bin/sh\\n' > gen/sub/run && chmod +x gen/sub/run && ln -s list gen/link");
        """;

    private GitSandbox NewStore(string model)
    {
        var sandbox = new GitSandbox();
        _owned.Add(sandbox);
        sandbox.NewRepo("work");
        sandbox.Commit("work", "src/a.txt", "hello\n");
        sandbox.Commit("work", "src/b.txt", "world\n");
        sandbox.Commit("work", "clive.csx", model);
        sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        return sandbox;
    }

    // The engine's log reaches the test through a pipe and may trail the status in the store: tests wait for its lines.
    private EngineProcess Engine(GitSandbox sandbox, params string[] options)
    {
        // Each test disposes its engines itself (using), before the stores they run on.
        return new EngineProcess(sandbox, options);
    }

    private static void FetchResults(GitSandbox sandbox) => sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "+refs/clive/*:refs/clive/*");

    private static string OutputTree(GitSandbox sandbox, string cell)
    {
        FetchResults(sandbox);
        return sandbox.RevParse("work", $"refs/clive/cells/main/{cell}:out");
    }

    private static string Show(GitSandbox sandbox, string cell, string file)
    {
        FetchResults(sandbox);
        return sandbox.GitOk("work", "show", $"refs/clive/cells/main/{cell}:{file}").Stdout;
    }

    [SkippableFact]
    public void CellsOnTheWorker_StoreTheOutputsOfALocalRun_AndASecondStoreGetsCacheHits()
    {
        using var worker = new ReapiWorker();
        var local = NewStore(Model);
        using (var engine = Engine(local))
            engine.WaitForCells("demo", CellState.Succeeded, "upper", "count", "listing");

        var farmed = NewStore(Model);
        using (var engine = Engine(farmed, "--reapi", worker.Endpoint))
        {
            engine.WaitForCells("demo", CellState.Succeeded, "upper", "count", "listing");
            foreach (var cell in new[] { "upper", "count", "listing" })
                engine.WaitForLog($"{cell}: succeeded on {worker.Endpoint} (ran there)");
        }
        foreach (var cell in new[] { "upper", "count", "listing" })
            Assert.Equal(OutputTree(local, cell), OutputTree(farmed, cell));
        Assert.Equal("HELLO\nWORLD\n", Show(farmed, "upper", "out/upper.txt"));
        Assert.Equal("b.txt\n", Show(farmed, "listing", "out/gen/list"));
        Assert.Contains("100755 blob", farmed.GitOk("work", "ls-tree", "-r", "refs/clive/cells/main/listing:out").Stdout);
        Assert.Contains("120000 blob", farmed.GitOk("work", "ls-tree", "-r", "refs/clive/cells/main/listing:out").Stdout);
        Assert.Equal(Show(local, "upper", "stdout"), Show(farmed, "upper", "stdout"));
        Assert.Equal(Show(local, "upper", "stderr"), Show(farmed, "upper", "stderr"));

        // Another store, the same sources: every action is in the worker's action cache, nothing runs.
        var second = NewStore(Model);
        using (var engine = Engine(second, "--reapi", worker.Endpoint))
        {
            engine.WaitForCells("demo", CellState.Succeeded, "upper", "count", "listing");
            foreach (var cell in new[] { "upper", "count", "listing" })
                engine.WaitForLog($"{cell}: succeeded on {worker.Endpoint} (action cache hit)");
            Assert.DoesNotContain("(ran there)", engine.Log);
            Assert.Equal($"action cache hit on {worker.Endpoint}", engine.Status("demo", "listing")!.Message);
            Assert.Contains($"action cache hit on {worker.Endpoint}", second.Clive("status", "demo").Stdout);
        }
        Assert.Equal(OutputTree(local, "listing"), OutputTree(second, "listing"));

        // A changed input re-runs only the cells that read it.
        second.Commit("work", "src/a.txt", "changed\n");
        second.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using (var engine = Engine(second, "--reapi", worker.Endpoint))
        {
            var head = second.RevParse("work", "HEAD");
            engine.WaitAtCommit("demo", head, CellState.Succeeded, "upper", "count", "listing");
            engine.WaitForLog($"upper: succeeded on {worker.Endpoint} (ran there)");
            engine.WaitForLog($"count: succeeded on {worker.Endpoint} (ran there)");
            Assert.DoesNotContain("listing: succeeded on", engine.Log);
        }
        Assert.Equal("CHANGED\nWORLD\n", Show(second, "upper", "out/upper.txt"));
    }

    [SkippableFact]
    public void ACommandThatFailsOnTheWorker_BlocksItsDependents()
    {
        using var worker = new ReapiWorker();
        var store = NewStore("""
            var broken = Cells.Command("broken").Files("src/*.txt").Run("echo no such thing >&2; exit 3");
            Cells.Command("after").From(broken).Run("cat broken/* > $CLIVE_OUT/x");
            """);
        using var engine = Engine(store, "--reapi", worker.Endpoint);
        engine.WaitForCells("demo", CellState.Failed, "broken");
        engine.WaitForCells("demo", CellState.Blocked, "after");
        engine.WaitForLog($"broken: failed on {worker.Endpoint} (ran there)");
        engine.WaitForLog("(exit code 3)");
        Assert.Equal($"ran on {worker.Endpoint}; exit code 3", engine.Status("demo", "broken")!.Message);
        Assert.Contains("no such thing", Show(store, "broken", "stderr"));
    }

    [SkippableFact]
    public void AWorkerKilledMidRun_IsRetriedThenTheCellRunsHere_NamingTheEndpointAndStatus()
    {
        using var worker = new ReapiWorker();
        var marker = Path.Combine(_sandbox.Root, "started");
        var store = NewStore($"""
            Cells.Command("slow").Files("src/*.txt").Run("case $CLIVE_OUT in /clive/*) echo here > $CLIVE_OUT/r ;; *) touch {marker}; sleep 30 ;; esac");
            """);
        using var engine = Engine(store, "--reapi", worker.Endpoint);
        // The worker runs commands unsandboxed: the marker says the action started there.
        Poll.Until(() => File.Exists(marker), "the action to start on the worker", 60, () => engine.Log);
        worker.Kill();
        engine.WaitForLog("running it here instead");
        Assert.Contains($"REAPI {worker.Endpoint}", engine.Log);
        Assert.Contains("Unavailable", engine.Log);
        engine.WaitForLog($"attempt {Clive.Engine.Remote.Reapi.ReapiExecutor.Attempts} of {Clive.Engine.Remote.Reapi.ReapiExecutor.Attempts}");
        // The local run is a sandboxed one (its $CLIVE_OUT is the sandbox's): the cell succeeds here.
        engine.WaitForCells("demo", CellState.Succeeded, "slow");
        Assert.Equal("here\n", Show(store, "slow", "out/r"));
    }
}
