using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// A host cut off in the middle of a dispatched cell: A's engine runs in its own network
/// namespace and reaches B's sshd in another; the link goes down while B runs the cell.
/// </summary>
public sealed class DispatchCutOffTests : IDisposable
{
    private readonly GitSandbox _hostA = new();
    private readonly GitSandbox _hostB = new();
    private readonly TwoHosts _network;
    private readonly SshServer _sshB;
    private readonly List<IDisposable> _engines = [];

    public DispatchCutOffTests()
    {
        _network = new TwoHosts();
        _sshB = new SshServer(_hostB, (_network.NamespaceB, TwoHosts.AddressB), "sshd-b");
        _sshB.AddIdentity("alice");
        _hostB.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run on B");
        _hostB.NewRepo("b-work", ("README", "b\n"));
        _hostB.GitOk("b-work", "push", "-q", GitSandbox.Url("demo"), "main");
        _hostA.Environment["GIT_SSH_COMMAND"] = _sshB.SshCommand("alice");
        // B says "waiting" every 2 s while it runs a job; 6 s of silence is a cut.
        _hostA.Environment["CLIVE_DISPATCH_SILENCE_MS"] = "6000";
    }

    public void Dispose()
    {
        foreach (var engine in _engines) engine.Dispose();
        _sshB.Dispose();
        _network.Dispose();
        _hostA.Dispose();
        _hostB.Dispose();
    }

    [SkippableFact]
    public void HostCutOffMidRun_TheCellFinishesOnA_StoredOnce()
    {
        // Only B's engine sees the marker (a tool directory of its own): there the command hangs, on A it is quick.
        var markerDirectory = _hostB.PathOf("b-only");
        Directory.CreateDirectory(markerDirectory);
        File.WriteAllText(Path.Combine(markerDirectory, "marker"), "b\n");
        var model = $$"""
            Cells.Command("slow").Files("src/*.txt").On("b-label").Run("if [ -e {{markerDirectory}}/marker ]; then sleep 60; fi; cat src/a.txt > $CLIVE_OUT/copy");
            """;
        var engineB = new EngineProcess(_hostB, "--repo", "demo", "--label", "b-label", "--tool", markerDirectory);
        _engines.Add(engineB);
        var key = _hostB.Clive("trust", "key").EnsureSuccess("trust key").Stdout;
        File.WriteAllText(_hostA.PathOf("b.pub"), key);
        _hostA.Clive("trust", "add", Clive.Core.Store.Engines.EngineRegistry.LocalName, _hostA.PathOf("b.pub"), "demo").EnsureSuccess("trust add");
        _hostA.NewRepo("work", ("src/a.txt", "hello\n"), ("clive.csx", model));
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var engineA = EngineProcess.InNamespace(_hostA, _network.NamespaceA, "--repo", "demo", "--label", "b-label",
            "--remote", $"{Environment.UserName}@{TwoHosts.AddressB}:{_sshB.Port}/demo");
        _engines.Add(engineA);

        // Long: A compiles its model first, and a loaded machine makes that slow.
        engineA.Wait(() => engineB.Log.Contains("running for another engine"), "B to run the job (B's log:\n" + engineB.Log + ")", 180);
        _network.CutOffB();

        engineA.WaitForCells("demo", CellState.Succeeded, "slow");
        engineA.WaitForLog("taken for cut off");
        var runs = engineA.RunHistory("demo").Where(r => r.Cell == "slow").ToList();
        Assert.Equal(CellState.Succeeded, Assert.Single(runs).State);
        Assert.Equal("hello\n", engineA.Sandbox.ShowFetched(Clone(), "demo", "refs/clive/cells/main/slow:out/copy"));
    }

    private string Clone()
    {
        _hostA.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "from-a");
        return "from-a";
    }
}
