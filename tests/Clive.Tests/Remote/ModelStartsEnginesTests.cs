using System.Text.Json;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// A model on host A declares an engine on host B (<c>Engines.On</c>); A's engine starts it over
/// SSH with the right alice holds on B, and stops it once the declaration is gone. Each host is
/// its own network namespace with its own sshd, store and engine.
/// </summary>
public sealed class ModelStartsEnginesTests : IDisposable
{
    private readonly GitSandbox _hostA = new();
    private readonly GitSandbox _hostB = new();
    private readonly TwoHosts _network;
    private readonly SshServer _sshB;

    public ModelStartsEnginesTests()
    {
        _network = new TwoHosts();
        _sshB = new SshServer(_hostB, (_network.NamespaceB, TwoHosts.AddressB), "sshd-b");
        var key = _sshB.AddIdentity("alice");
        File.Copy(key, _hostA.PathOf("id_alice"));
        // alice may have models run in demo on B, so may start its engine there; not in secret.
        _hostB.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant on B");
        _hostA.Environment["GIT_SSH_COMMAND"] =
            $"ssh -i {_hostA.PathOf("id_alice")} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes";
    }

    public void Dispose()
    {
        // Detached engines are nobody's children: stop both, B's first (A's may be stopping it).
        foreach (var host in new[] { _hostA, _hostB })
            if (Directory.Exists(host.StoreDirectory)) host.Clive("down", "--timeout", "10");
        _sshB.Dispose();
        _network.Dispose();
        _hostA.Dispose();
        _hostB.Dispose();
    }

    private static string OnB => $"{Environment.UserName}@{TwoHosts.AddressB}:22";

    private JsonElement? EngineOnB()
    {
        var listed = _hostB.Clive("engines", "--json").EnsureSuccess("clive engines on B");
        using var json = JsonDocument.Parse(listed.Stdout);
        return json.RootElement.EnumerateArray().Select(e => e.Clone()).Cast<JsonElement?>().SingleOrDefault();
    }

    private string EngineLogA() => File.ReadAllText(Path.Combine(_hostA.StoreDirectory, "logs", "engine.log"));

    [SkippableFact]
    public void DeclaredEngine_StartsOnHostB_ARefusalIsReported_AndRemovingTheDeclarationStopsIt()
    {
        var model = $$"""
            Engines.On("{{OnB}}", labels: new[] { "b-label" });
            Engines.On("{{OnB}}", repo: "secret");
            """;
        _hostA.NewRepo("work", ("clive.csx", model));
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");

        // A's engine runs inside A's namespace: B is reachable from there only.
        var up = _network.OnA(_hostA.Root, _hostA.Environment, Binaries.Clive, "up", "--detach", "--repo", "demo", "--jobs", "1");
        Assert.True(up.ExitCode == 0, up.Output);

        Poll.Until(() => EngineOnB() is { } e && e.GetProperty("state").GetString() == "running", "B's engine to run", 120,
            () => "A's engine log:\n" + EngineLogA());
        var engine = EngineOnB()!.Value;
        Assert.Equal(["linux-x64", "b-label"], engine.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(["demo"], engine.GetProperty("repos").EnumerateArray().Select(r => r.GetString()));

        // The engine alice may not start is refused on B, and A says why; B's store has no second engine.
        Poll.Until(() => EngineLogA().Contains("not started: access denied: 'alice' lacks the 'run' right on 'secret'"), "A to report the refusal", 60,
            () => "A's engine log:\n" + EngineLogA());
        var shown = _hostA.Clive("engines").EnsureSuccess("clive engines on A").Stdout;
        Assert.Contains($"{OnB} for 'demo': started by this store, declared by demo@main", shown);
        Assert.Contains($"{OnB} for 'secret': not started, declared by demo@main", shown);
        Assert.Contains("lacks the 'run' right on 'secret'", shown);

        // The declaration goes away: the engine A started on B stops.
        _hostA.Commit("work", "clive.csx", "Cells.Command(\"hello\").Run(\"true\"); // and no engines any more\n");
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        Poll.Until(() => EngineOnB()?.GetProperty("state").GetString() == "stopped", "B's engine to stop", 120,
            () => "A's engine log:\n" + EngineLogA());
        Poll.Until(() => !_hostA.Clive("engines").Stdout.Contains("on other hosts"), "A's record of remote engines to empty", 30);
        Assert.Contains("stopped: the engine for 'demo'", EngineLogA());
    }

    [SkippableFact]
    public void EnginesAModelStarted_OutliveItsEngine_AndItsNextStartStopsThoseNoLongerDeclared()
    {
        _hostA.NewRepo("work", ("clive.csx", $$"""Engines.On("{{OnB}}");"""));
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var up = _network.OnA(_hostA.Root, _hostA.Environment, Binaries.Clive, "up", "--detach", "--repo", "demo", "--jobs", "1");
        Assert.True(up.ExitCode == 0, up.Output);
        Poll.Until(() => EngineOnB()?.GetProperty("state").GetString() == "running", "B's engine to run", 120, () => "A's engine log:\n" + EngineLogA());
        int pidOnB = EngineOnB()!.Value.GetProperty("pid").GetInt32();
        Poll.Until(() => _hostA.Clive("engines").Stdout.Contains("started by this store"), "A to record what it started", 30);

        // A's engine stops: B's keeps running (other models' cells may run there).
        _hostA.Clive("down").EnsureSuccess("clive down on A");
        Assert.Equal("running", EngineOnB()?.GetProperty("state").GetString());
        Assert.Equal(pidOnB, EngineOnB()!.Value.GetProperty("pid").GetInt32());

        // While A is down the declaration goes; A's next start finds its record and stops what it started.
        _hostA.Commit("work", "clive.csx", "Cells.Command(\"hello\").Run(\"true\");\n");
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        up = _network.OnA(_hostA.Root, _hostA.Environment, Binaries.Clive, "up", "--detach", "--repo", "demo", "--jobs", "1");
        Assert.True(up.ExitCode == 0, up.Output);
        Poll.Until(() => EngineOnB()?.GetProperty("state").GetString() == "stopped", "B's engine to stop", 120, () => "A's engine log:\n" + EngineLogA());
    }
}
