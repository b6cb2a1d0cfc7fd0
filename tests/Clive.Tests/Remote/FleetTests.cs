using System.Text.Json;
using Clive.Dispatch;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// The fleet end to end, on three hosts (network namespaces, each with its own store; B and C with
/// their own sshd and host name): a model on A declares an engine on B (<c>Engines.On</c>), and a
/// cell of it declares one on C (<c>.StartsEngines()</c>); A's engine starts both over SSH with
/// alice's <c>run</c> right there and hands them cells with <c>.On("b-label")</c>, taking their
/// results only as claims signed by a host it trusts. One story, so the slow parts (sshd, three
/// engines, compiling the model) are paid once.
/// </summary>
public sealed class FleetTests : IDisposable
{
    private const int A = 0, B = 1, C = 2;
    private readonly TestNetwork _network;
    private readonly GitSandbox _hostA = new(), _hostB = new(), _hostC = new();
    private readonly SshServer _sshB, _sshC;
    private EngineProcess? _engineA;
    private readonly string _tamperFlag;

    public FleetTests()
    {
        _network = new TestNetwork(3);
        _sshB = new SshServer(_hostB, (_network.Namespace(B), TestNetwork.Address(B)), "sshd-b", hostName: "fleet-b");
        _sshC = new SshServer(_hostC, (_network.Namespace(C), TestNetwork.Address(C)), "sshd-c", hostName: "fleet-c");
        // alice's one key is known on both hosts; she may have models run in demo there, not in secret.
        var key = _sshB.AddIdentity("alice");
        File.Copy(key, _hostC.PathOf("sshd-c/id_alice"));
        File.Copy(key + ".pub", _hostC.PathOf("sshd-c/id_alice.pub"));
        _sshC.AddIdentity("alice");
        foreach (var host in new[] { _hostB, _hostC })
        {
            host.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run");
            host.NewRepo("far", ("README", "jobs land here\n"));
            host.GitOk("far", "push", "-q", GitSandbox.Url("demo"), "main");
        }
        // A trusts both hosts' claims for demo; the test takes B's trust away later.
        foreach (var (host, name) in new[] { (_hostB, "fleet-b"), (_hostC, "fleet-c") })
        {
            File.WriteAllText(_hostA.PathOf(name + ".pub"), host.Clive("trust", "key").EnsureSuccess("trust key").Stdout);
            _hostA.Clive("trust", "add", name, _hostA.PathOf(name + ".pub"), "demo").EnsureSuccess("trust add");
        }
        // A's ssh goes through a man in the middle that, while the flag file exists, flips one hex
        // digit of the result id in every claim an engine session sends back.
        _tamperFlag = _hostA.PathOf("tamper");
        _hostA.Environment["GIT_SSH_COMMAND"] = ClaimTamperer.SshCommand(_hostA, _sshB.SshCommand("alice"), onlyWhileExists: _tamperFlag);
        // B and C say "waiting" every 2 s while they run a job: 10 s of silence is a cut (on a loaded machine, less is a false one).
        _hostA.Environment["CLIVE_DISPATCH_SILENCE_MS"] = "10000";
    }

    public void Dispose()
    {
        _engineA?.Dispose();
        foreach (var host in new[] { _hostB, _hostC })
            if (Directory.Exists(host.StoreDirectory)) host.Clive("down", "--timeout", "10");
        _sshB.Dispose();
        _sshC.Dispose();
        _network.Dispose();
        _hostA.Dispose();
        _hostB.Dispose();
        _hostC.Dispose();
    }

    private static string On(int host) => $"{Environment.UserName}@{TestNetwork.Address(host)}:22";

    private static string Model(params string[] cells) => string.Join('\n', [
        $$"""Engines.On("{{On(B)}}", labels: new[] { "b-label" });""",
        $$"""Engines.On("{{On(B)}}", repo: "secret");""",
        $$"""Cells.Compute("fleet", ctx => new[] { Engines.Want("{{On(C)}}", labels: new[] { "b-label" }) }).StartsEngines();""",
        """Cells.Command("shout").Files("src/*.txt").On("b-label").Run("cat src/*.txt | tr a-z A-Z > $CLIVE_OUT/upper.txt");""",
        .. cells]) + "\n";

    private void Push(string model)
    {
        _hostA.Commit("work", "clive.csx", model);
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private static string? LocalEngineState(GitSandbox host)
    {
        var listed = host.Clive("engines", "--json").EnsureSuccess("clive engines");
        using var json = JsonDocument.Parse(listed.Stdout);
        return json.RootElement.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "local")
            .Select(e => e.GetProperty("state").GetString()).SingleOrDefault();
    }

    private List<JsonElement> RemoteEnginesOfA()
    {
        var listed = _hostA.Clive("engines", "--json").EnsureSuccess("clive engines on A");
        using var json = JsonDocument.Parse(listed.Stdout);
        return json.RootElement.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "remote").Select(e => e.Clone()).ToList();
    }

    private static string EngineLog(GitSandbox host)
    {
        var path = Path.Combine(host.StoreDirectory, "logs", "engine.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    private static int JobsRun(GitSandbox host) => System.Text.RegularExpressions.Regex.Matches(EngineLog(host), "running for another engine").Count;

    /// <summary>The result commits a host filed, by job ref: the same job has the same name on every host.</summary>
    private static Dictionary<string, string> JobResults(GitSandbox host)
    {
        using var store = host.OpenStore();
        return store.Refs.List(store.Repos.GetId("demo")).Where(r => r.Name.StartsWith(JobRefs.ResultPrefix, StringComparison.Ordinal))
            .ToDictionary(r => r.Name, r => r.Target!.Value.ToString());
    }

    /// <summary>The job C filed a result for since <paramref name="before"/> (C runs one job per phase of the story).</summary>
    private string NewJobOnC(Dictionary<string, string> before) => Assert.Single(JobResults(_hostC).Keys.Except(before.Keys));

    private bool AHolds(string commit)
    {
        using var store = _hostA.OpenStore();
        return store.Objects.Contains(Clive.Git.ObjectId.Parse(commit));
    }

    private string Logs() => $"A:\n{_engineA?.Log}\nB:\n{EngineLog(_hostB)}\nC:\n{EngineLog(_hostC)}";

    [SkippableFact]
    public void ModelOnA_StartsEnginesOnBAndC_CellsRunWhereTrusted_SurviveACut_AndStopWithTheirDeclarations()
    {
        _hostA.NewRepo("work", ("src/a.txt", "hello\n"), ("clive.csx", Model()));
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        _engineA = EngineProcess.InNamespace(_hostA, _network.Namespace(A), "--repo", "demo");

        // The model's engine on B and the cell's engine on C start; secret is refused (no run right there).
        _engineA.Wait(() => LocalEngineState(_hostB) == "running" && LocalEngineState(_hostC) == "running", "B's and C's engines to run", 180);
        _engineA.WaitForLog("not started: access denied: 'alice' lacks the 'run' right on 'secret'");
        // A cell .On("b-label") ran on B (A has no such label); A verified B's claim and published the result.
        _engineA.WaitForCells("demo", CellState.Succeeded, "shout");
        _engineA.WaitForLog("shout: succeeded on fleet-b (ran there, claim verified)");
        Assert.Equal($"ran on fleet-b ({On(B)})", _engineA.Status("demo", "shout")!.Message);
        Assert.Contains($"ran on fleet-b ({On(B)})", _hostA.Clive("status", "demo").Stdout);
        _hostA.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "from-a");
        Assert.Equal("HELLO\n", _hostA.ShowFetched("from-a", "demo", "refs/clive/cells/main/shout:out/upper.txt"));

        // clive engines --json on A: both engines, who declared them, reachable, with their labels.
        Poll.Until(() => RemoteEnginesOfA().Count(e => e.TryGetProperty("reachable", out var r) && r.GetBoolean()) == 2, "A to reach B and C", 60,
            () => _hostA.Clive("engines").Stdout + Logs());
        var remote = RemoteEnginesOfA();
        var onB = remote.Single(e => e.GetProperty("destination").GetString() == On(B) && e.GetProperty("repos")[0].GetString() == "demo");
        Assert.Equal(("up", "demo@main", true, "fleet-b"), (onB.GetProperty("state").GetString(), onB.GetProperty("declared_by").GetString(),
            onB.GetProperty("started_here").GetBoolean(), onB.GetProperty("name").GetString()));
        Assert.Contains("b-label", onB.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var onC = remote.Single(e => e.GetProperty("destination").GetString() == On(C));
        Assert.Equal(("up", "demo@main:fleet"), (onC.GetProperty("state").GetString(), onC.GetProperty("declared_by").GetString()));
        Assert.Equal("not-started", remote.Single(e => e.GetProperty("repos")[0].GetString() == "secret").GetProperty("state").GetString());

        // Nor may alice dispatch to secret: the engine session is refused at hello.
        using var hello = new MemoryStream();
        DispatchChannel.Write(hello, new DispatchRequest { Kind = DispatchRequest.Hello });
        var session = ProcessRunner.Run("ip", ["netns", "exec", _network.Namespace(A), "ssh", .. _sshB.SshCommand("alice").Split(' ').Skip(1),
            On(B).Split(':')[0], "engine-session", "secret"], _hostA.Root, _hostA.Environment, hello.ToArray());
        Assert.NotEqual(0, session.ExitCode);
        Assert.Contains("lacks the 'run' right on 'secret'", session.Output);

        // B is cut off while it runs a cell (it hangs there only): A takes the silence for a cut and C finishes it, stored once.
        int jobsOnB = JobsRun(_hostB);
        Push(Model("""Cells.Command("slow").Files("src/*.txt").On("b-label").Run("if [ \"$(uname -n)\" = fleet-b ]; then sleep 60; fi; cp src/a.txt $CLIVE_OUT/copy");"""));
        _engineA.Wait(() => JobsRun(_hostB) > jobsOnB, "B to run the slow cell", 120);
        // While it runs there, status and watch say where.
        _engineA.Wait(() => _hostA.Clive("status", "demo").Stdout.Contains($"dispatched to fleet-b ({On(B)})"), "A's status to show slow dispatched to B");
        _network.CutOff(B);
        _engineA.WaitForCells("demo", CellState.Succeeded, "slow");
        _engineA.WaitForLog("taken for cut off");
        Assert.StartsWith("ran on fleet-c", _engineA.Status("demo", "slow")!.Message);
        Assert.Equal(CellState.Succeeded, Assert.Single(_engineA.RunHistory("demo"), r => r.Cell == "slow").State);
        _network.Reconnect(B);

        // B is no longer trusted: its claim is refused (the reason logged, its result kept out of A's store) and the cell runs on C.
        _hostA.Clive("trust", "remove", "fleet-b", "demo").EnsureSuccess("trust remove");
        var filedOnC = JobResults(_hostC);
        Push(Model("""Cells.Command("whisper").Files("src/*.txt").On("b-label").Run("sed s/h/j/ src/a.txt > $CLIVE_OUT/r.txt");"""));
        _engineA.WaitForCells("demo", CellState.Succeeded, "whisper");
        _engineA.WaitForLog("claim refused: host 'fleet-b' is not trusted for 'demo'");
        Assert.StartsWith("ran on fleet-c", _engineA.Status("demo", "whisper")!.Message);
        var job = NewJobOnC(filedOnC);
        Assert.Equal(JobResults(_hostC)[job], _engineA.Status("demo", "whisper")!.Result?.ToString());
        Assert.False(AHolds(JobResults(_hostB)[job]), "B's result commit must not enter A's store");

        // A claim changed in transit (C's, the one trusted host left) is refused: the cell fails, A's store has neither its result nor a cache row.
        File.WriteAllText(_tamperFlag, "");
        filedOnC = JobResults(_hostC);
        Push(Model("""Cells.Command("tampered").Files("src/*.txt").On("b-label").Run("wc -c < src/a.txt > $CLIVE_OUT/n");"""));
        _engineA.WaitForCells("demo", CellState.Failed, "tampered");
        File.Delete(_tamperFlag);
        _engineA.WaitForLog("claim refused: the claim's signature does not verify");
        Assert.Contains("no engine with the labels b-label delivered", _engineA.Status("demo", "tampered")!.Message);
        Assert.False(AHolds(JobResults(_hostC)[NewJobOnC(filedOnC)]), "C's result commit must not enter A's store");
        using (var storeA = _hostA.OpenStore())
            Assert.Null(storeA.Cells.Result(_engineA.Status("demo", "tampered")!.Key!));

        // Both declarations go (the model's Engines.On and the cell): the engines A started on B and C stop.
        Push("Cells.Command(\"local\").Run(\"true\");\n");
        _engineA.Wait(() => LocalEngineState(_hostB) == "stopped" && LocalEngineState(_hostC) == "stopped", "B's and C's engines to stop", 120);
        Poll.Until(() => RemoteEnginesOfA().Count == 0, "A's list of remote engines to empty", 30, () => _hostA.Clive("engines").Stdout);
    }
}
