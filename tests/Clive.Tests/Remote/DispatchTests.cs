using Clive.Core.Store.Engines;
using Clive.Dispatch;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// Cells handed to another store's engine over a real sshd (the forced command, alice's rights
/// there) and their results brought back as signed claims that the dispatching engine verifies.
/// Host B is a store with its own engine and sshd; host A's engine reaches it with `--remote`.
/// </summary>
public sealed class DispatchTests : IDisposable
{
    private readonly GitSandbox _hostA = new();
    private readonly GitSandbox _hostB = new();
    private readonly SshServer _sshB;
    private readonly List<IDisposable> _engines = [];

    private const string Model = """
        Cells.Command("shout").Files("src/*.txt").On("b-label").Run("cat src/*.txt | tr a-z A-Z > $CLIVE_OUT/upper.txt");
        """;

    public DispatchTests()
    {
        _sshB = new SshServer(_hostB);
        _sshB.AddIdentity("alice");
        // B runs the jobs of its repo demo (which holds no model of its own).
        _hostB.NewRepo("b-work", ("README", "b\n"));
        _hostB.GitOk("b-work", "push", "-q", GitSandbox.Url("demo"), "main");
        _hostA.Environment["GIT_SSH_COMMAND"] = _sshB.SshCommand("alice");
        // No test here cuts a host off (DispatchCutOffTests does): a session starved by the rest of
        // the suite for 15 s must not count as a cut and send the cell elsewhere.
        _hostA.Environment["CLIVE_DISPATCH_SILENCE_MS"] = "120000";
    }

    public void Dispose()
    {
        foreach (var engine in _engines) engine.Dispose();
        _sshB.Dispose();
        _hostA.Dispose();
        _hostB.Dispose();
    }

    private string RemoteB => $"{Environment.UserName}@{_sshB.Address}:{_sshB.Port}/demo";

    private EngineProcess Engine(GitSandbox host, params string[] options)
    {
        var engine = new EngineProcess(host, ["--repo", "demo", .. options]);
        _engines.Add(engine);
        return engine;
    }

    private void PushModelToA(GitSandbox host)
    {
        host.NewRepo("work", ("src/a.txt", "hello\n"), ("clive.csx", Model));
        host.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private void TrustBOn(GitSandbox host)
    {
        var key = _hostB.Clive("trust", "key").EnsureSuccess("trust key on B").Stdout;
        File.WriteAllText(host.PathOf("b.pub"), key);
        host.Clive("trust", "add", EngineRegistry.LocalName, host.PathOf("b.pub"), "demo").EnsureSuccess("trust add");
    }

    /// <summary>The result commits B filed for jobs, by job.</summary>
    private Dictionary<string, string> JobResultsOnB()
    {
        using var store = _hostB.OpenStore();
        return store.Refs.List(store.Repos.GetId("demo")).Where(r => r.Name.StartsWith(JobRefs.ResultPrefix, StringComparison.Ordinal))
            .ToDictionary(r => r.Name, r => r.Target!.Value.ToString());
    }

    [SkippableFact]
    public void CellWithOn_RunsOnB_AndItsVerifiedResultIsFetchedFromA()
    {
        _hostB.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run on B");
        TrustBOn(_hostA);
        var engineB = Engine(_hostB, "--label", "b-label");
        PushModelToA(_hostA);
        var engineA = Engine(_hostA, "--remote", RemoteB);

        engineA.WaitForCells("demo", CellState.Succeeded, "shout");

        engineB.WaitForLog("running for another engine");
        engineA.WaitForLog("succeeded on " + EngineRegistry.LocalName + " (ran there, claim verified)");
        var filed = Assert.Single(JobResultsOnB());
        Assert.Equal(filed.Value, engineA.Status("demo", "shout")!.Result?.ToString());
        // Published on A like a local result: a plain git clone from A fetches it.
        _hostA.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "from-a");
        Poll.Until(() => _hostA.ShowFetched("from-a", "demo", "refs/clive/cells/main/shout:out/upper.txt") == "HELLO\n", "the output fetched from A");
    }

    [SkippableFact]
    public void UntrustedHost_ClaimIsRefused_AndTheCellRunsHere()
    {
        _hostB.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run on B");
        Engine(_hostB, "--label", "b-label");
        PushModelToA(_hostA);
        var engineA = Engine(_hostA, "--remote", RemoteB, "--label", "b-label");

        engineA.WaitForCells("demo", CellState.Succeeded, "shout");

        engineA.WaitForLog($"claim refused: host '{EngineRegistry.LocalName}' is not trusted for 'demo'");
        var fromB = Assert.Single(JobResultsOnB()).Value;
        Assert.NotEqual(fromB, engineA.Status("demo", "shout")!.Result?.ToString());
        using var storeA = _hostA.OpenStore();
        Assert.False(storeA.Objects.Contains(Clive.Git.ObjectId.Parse(fromB)), "B's result commit must not enter A's store");
    }

    [SkippableFact]
    public void IdentityWithoutRun_CannotDispatch()
    {
        _hostB.Clive("grant", "alice", "write", "demo").EnsureSuccess("grant write on B");
        TrustBOn(_hostA);
        Engine(_hostB, "--label", "b-label");
        PushModelToA(_hostA);
        var engineA = Engine(_hostA, "--remote", RemoteB);

        engineA.WaitForCells("demo", CellState.Failed, "shout");

        Assert.Contains("no engine with the labels b-label delivered", engineA.Status("demo", "shout")!.Message);
        engineA.WaitForLog("'run' right");
        Assert.Empty(JobResultsOnB());
    }

    [SkippableFact]
    public void ClaimTamperedInTransit_IsRefused_AndNothingIsStored()
    {
        _hostB.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run on B");
        TrustBOn(_hostA);
        // A man in the middle of the SSH session's output: flips one hex digit of the claim's result id.
        _hostA.Environment["GIT_SSH_COMMAND"] = ClaimTamperer.SshCommand(_hostA, _sshB.SshCommand("alice"));
        Engine(_hostB, "--label", "b-label");
        PushModelToA(_hostA);
        var engineA = Engine(_hostA, "--remote", RemoteB);

        engineA.WaitForCells("demo", CellState.Failed, "shout");

        engineA.WaitForLog("claim refused: the claim's signature does not verify");
        var fromB = Assert.Single(JobResultsOnB()).Value;
        using var storeA = _hostA.OpenStore();
        Assert.False(storeA.Objects.Contains(Clive.Git.ObjectId.Parse(fromB)), "B's result commit must not enter A's store");
        Assert.Null(storeA.Cells.Result(engineA.Status("demo", "shout")!.Key!));
    }

    [SkippableFact]
    public void EngineSession_RefusesHostileFrames_InOneLine_StoreUnchanged()
    {
        _hostB.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run on B");
        var before = _hostB.StoreSnapshot();

        // A frame that says it is 2 GiB long: refused before anything is allocated.
        var huge = _sshB.SshAs("alice", [0x7f, 0xff, 0xff, 0xff, 1, 2, 3], "engine-session", "demo");
        Assert.Equal(1, huge.ExitCode);
        Assert.Contains("over the limit", huge.Stdout);

        // A job whose key is not a key, and one with a cell name holding a newline (it would forge a claim's line).
        foreach (var (request, refusal) in new[]
        {
            (new DispatchRequest { Kind = DispatchRequest.Job, Cell = "shout", Key = "../../etc", Commit = new byte[20], Run = true }, "not lower-case hex"),
            (new DispatchRequest { Kind = DispatchRequest.Job, Cell = "shout\nhost evil", Key = new string('a', 64), Commit = new byte[20], Run = true }, "control character"),
        })
        {
            using var frame = new MemoryStream();
            DispatchChannel.Write(frame, request);
            var refused = _sshB.SshAs("alice", frame.ToArray(), "engine-session", "demo");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains(refusal, refused.Stdout);
        }
        Assert.Equal(before, _hostB.StoreSnapshot());
    }

    [SkippableFact]
    public void SecondEngine_ReusesBsClaim_WithoutRunningTheCellAgain()
    {
        _hostB.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run on B");
        TrustBOn(_hostA);
        var engineB = Engine(_hostB, "--label", "b-label");
        PushModelToA(_hostA);
        var engineA = Engine(_hostA, "--remote", RemoteB);
        engineA.WaitForCells("demo", CellState.Succeeded, "shout");

        using var hostC = new GitSandbox();
        hostC.Environment["GIT_SSH_COMMAND"] = _sshB.SshCommand("alice");
        TrustBOn(hostC);
        PushModelToA(hostC);
        // C could run it itself (it has the label): it takes B's signed result instead.
        using var engineC = new EngineProcess(hostC, "--repo", "demo", "--remote", RemoteB, "--label", "b-label");
        engineC.WaitForCells("demo", CellState.Succeeded, "shout");

        Assert.Equal(engineA.Status("demo", "shout")!.Result, engineC.Status("demo", "shout")!.Result);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(engineB.Log, "running for another engine"));
        engineC.WaitForLog("claim verified");
    }
}
