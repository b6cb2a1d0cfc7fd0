using System.Text.Json;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// The engine verbs of the forced command, as a key holder sends them over a real sshd:
/// `engine-up`, `engine-down` (both need the run right on the repo) and `engines`.
/// </summary>
public sealed class EngineVerbTests : IDisposable
{
    private readonly GitSandbox _host = new();
    private readonly SshServer _ssh;

    public EngineVerbTests()
    {
        _ssh = new SshServer(_host);
        _ssh.AddIdentity("alice");
        _ssh.AddIdentity("bob");
        _ssh.AddIdentity("carol");
        _host.Clive("grant", "alice", "run", "demo").EnsureSuccess("grant run");
        _host.Clive("grant", "alice", "read", "demo").EnsureSuccess("grant read");
        _host.Clive("grant", "bob", "write", "demo").EnsureSuccess("grant write");
    }

    public void Dispose()
    {
        // A detached engine is nobody's child: stop whatever a test started.
        if (Directory.Exists(_host.StoreDirectory)) _host.Clive("down", "--timeout", "10");
        _ssh.Dispose();
        _host.Dispose();
    }

    private bool EngineRuns() => EngineLock.Probe(_host.StoreDirectory).Running;

    private List<JsonElement> Engines()
    {
        var listed = _host.Clive("engines", "--json").EnsureSuccess("clive engines --json");
        using var json = JsonDocument.Parse(listed.Stdout);
        return json.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    [SkippableFact]
    public void EngineUp_WithTheRunRight_StartsOnce_AndEngineDownStopsIt_WithoutItNothingHappens()
    {
        var refused = _ssh.SshAs("bob", "engine-up", "demo");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal("fatal: access denied: 'bob' lacks the 'run' right on 'demo'\n", refused.Stderr);
        Assert.False(EngineRuns());
        Assert.Empty(Engines());

        var up = _ssh.SshAs("alice", "engine-up", "demo", "--label", "gpu", "--jobs", "2");
        Assert.True(up.ExitCode == 0, up.Output);
        Assert.StartsWith("started: an engine on ", up.Stdout);
        var engine = Assert.Single(Engines());
        Assert.Equal("running", engine.GetProperty("state").GetString());
        Assert.Equal(["linux-x64", "gpu"], engine.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(2, engine.GetProperty("jobs").GetInt32());
        Assert.Equal(["demo"], engine.GetProperty("repos").EnumerateArray().Select(r => r.GetString()));
        int pid = engine.GetProperty("pid").GetInt32();

        // Idempotent: up again says it runs, and it is the same engine.
        var again = _ssh.SshAs("alice", "engine-up", "demo");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.StartsWith("running: ", again.Stdout);
        Assert.Contains($"(pid {pid};", again.Stdout);
        Assert.Equal(pid, Assert.Single(Engines()).GetProperty("pid").GetInt32());

        // The declaring side learns the labels; carol, who may not read demo, sees no engine at all.
        var listed = _ssh.SshAs("alice", "engines");
        Assert.True(listed.ExitCode == 0, listed.Output);
        Assert.Contains(" running labels=linux-x64,gpu jobs=2 repos=demo\n", listed.Stdout);
        Assert.Contains(" repos=demo\n", _ssh.SshAs("bob", "engines").Stdout);
        Assert.Equal("", _ssh.SshAs("carol", "engines").Stdout);

        var notYours = _ssh.SshAs("bob", "engine-down", "demo");
        Assert.NotEqual(0, notYours.ExitCode);
        Assert.Contains("lacks the 'run' right on 'demo'", notYours.Stderr);
        Assert.True(EngineRuns());

        var down = _ssh.SshAs("alice", "engine-down", "demo");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.StartsWith($"stopped: the engine for 'demo'", down.Stdout);
        Assert.False(EngineRuns());
        Assert.Equal("stopped", Assert.Single(Engines()).GetProperty("state").GetString());

        var downAgain = _ssh.SshAs("alice", "engine-down", "demo");
        Assert.True(downAgain.ExitCode == 0, downAgain.Output);
        Assert.StartsWith("not-running: ", downAgain.Stdout);
    }

    [SkippableFact]
    public void TheOwnersEngine_ForOtherRepos_IsNeitherNamedNorTouched()
    {
        _host.Clive("up", "--detach", "--jobs", "1", "--repo", "private-work", "--repo", "demo").EnsureSuccess("the owner's engine");
        int pid = EngineLock.Probe(_host.StoreDirectory).Pid!.Value;

        // It watches demo: up says it runs; down refuses, since it runs for another repo too.
        var up = _ssh.SshAs("alice", "engine-up", "demo");
        Assert.True(up.ExitCode == 0, up.Output);
        Assert.StartsWith("running: ", up.Stdout);
        var down = _ssh.SshAs("alice", "engine-down", "demo");
        Assert.NotEqual(0, down.ExitCode);
        Assert.Contains("runs for other repos too: it is its owner's to stop", down.Stderr);
        Assert.DoesNotContain("private-work", down.Output);
        Assert.Equal(pid, EngineLock.Probe(_host.StoreDirectory).Pid);
        Assert.True(EngineRuns());

        // An identity with run elsewhere learns nothing of it and cannot replace it.
        _host.Clive("grant", "carol", "run", "other").EnsureSuccess("grant carol");
        var refused = _ssh.SshAs("carol", "engine-up", "other");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("runs for other repos: a store has one engine", refused.Stderr);
        Assert.DoesNotContain("private-work", refused.Output);
        var quiet = _ssh.SshAs("carol", "engine-down", "other");
        Assert.True(quiet.ExitCode == 0, quiet.Output);
        Assert.StartsWith("not-running: ", quiet.Stdout);
        Assert.Equal(pid, EngineLock.Probe(_host.StoreDirectory).Pid);
        Assert.True(EngineRuns());
    }

    [SkippableFact]
    public void EngineVerbs_RefuseHostileArguments_InOneLine_AndStartNothing()
    {
        string[][] hostile =
        [
            ["engine-up"],
            ["engine-up", "../etc"],
            ["engine-up", "'de\u0001mo'"],
            ["engine-up", "demo", "other"],
            ["engine-up", "clive/engines"],
            ["engine-up", "demo", "--label", "'a;touch /tmp/pwned'"],
            ["engine-up", "demo", "--label", "''"],
            ["engine-up", "demo", "--label", "-x"],
            ["engine-up", "demo", "--label"],
            ["engine-up", "demo", "--label", new string('a', 65)],
            ["engine-up", "demo", .. Enumerable.Range(0, 33).SelectMany(i => new[] { "--label", "l" + i })],
            ["engine-up", "demo", "--jobs", "0"],
            ["engine-up", "demo", "--jobs", "99999999999"],
            ["engine-up", "demo", "--jobs", "-1"],
            ["engine-up", "demo", "--jobs", "2x"],
            ["engine-up", "demo", "--jobs", "1", "--jobs", "2"],
            ["engine-up", "demo", "--all"],
            ["engine-up", "demo", "--tool", "/"],
            ["engine-up", "--store=/tmp", "demo"],
            ["engine-up", "demo", "--detach"],
            ["engine-down"],
            ["engine-down", "demo", "extra"],
            ["engine-down", "--all"],
            ["engines", "--all"],
        ];
        foreach (var words in hostile)
        {
            var result = _ssh.SshAs("alice", words);
            var what = string.Join(' ', words);
            Assert.True(result.ExitCode != 0, $"{what}: accepted: {result.Output}");
            Assert.StartsWith("fatal: ", result.Stderr);
            Assert.True(result.Stderr.TrimEnd('\n').Split('\n').Length == 1, $"{what}: not one line: {result.Stderr}");
            Assert.Equal("", result.Stdout);
        }
        Assert.False(EngineRuns());
        Assert.Empty(Engines());
        Assert.False(File.Exists("/tmp/pwned"));
    }
}
