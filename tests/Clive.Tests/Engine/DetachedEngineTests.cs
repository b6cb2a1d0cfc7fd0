using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Clive.Core.Store.Engines;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Engines as a service: `clive up --detach` in the background, `clive down`, and `clive engines` with
/// the advert each engine keeps in the store (entity of clive/engines) and its heartbeat.
/// </summary>
public sealed class DetachedEngineTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose()
    {
        // A detached engine is nobody's child: stop whatever a failed test left running.
        if (Directory.Exists(_sandbox.StoreDirectory)) _sandbox.Clive("down", "--timeout", "10");
        _sandbox.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool Alive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    private CellStatus? Status(string cell)
    {
        using var store = _sandbox.OpenStore();
        return store.Cells.Statuses("demo").FirstOrDefault(s => s.Cell == cell);
    }

    /// <summary>Starts a detached engine and returns its pid, checking the one line it prints.</summary>
    private int UpDetached(params string[] options)
    {
        var up = _sandbox.Clive(["up", "--detach", "--jobs", "2", .. options]);
        Assert.True(up.ExitCode == 0, up.Output);
        var log = Path.Combine(_sandbox.StoreDirectory, "logs", "engine.log");
        var match = Regex.Match(up.Stdout, $@"^clive up: engine running in the background \(pid (\d+)\); log: {Regex.Escape(log)}\n$");
        Assert.True(match.Success, up.Output);
        Assert.Equal("", up.Stderr);
        return int.Parse(match.Groups[1].Value);
    }

    private JsonElement Engines()
    {
        var listed = _sandbox.Clive("engines", "--json");
        Assert.True(listed.ExitCode == 0, listed.Output);
        using var json = JsonDocument.Parse(listed.Stdout);
        return Assert.Single(json.RootElement.EnumerateArray()).Clone();
    }

    [Fact]
    public void UpDetachedRunsAPushedModel_EnginesShowsItsLabelsAndSlots_DownStopsItAndItsService()
    {
        int port = FreePort();
        var model = $$"""
            Cells.Command("hello").Run("echo hi > $CLIVE_OUT/hi.txt");
            Cells.Service("web").Network().Run("exec /usr/bin/python3 -m http.server {{port}} --bind 127.0.0.1");
            """;
        _sandbox.NewRepo("work", ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");

        int pid = UpDetached("--repo", "demo", "--label", "big-memory");
        Assert.True(Alive(pid));
        Poll.Until(() => Status("hello")?.State == CellState.Succeeded, "the pushed model's cell to run", 120);
        Poll.Until(() => Status("web")?.State == CellState.Serving && Accepts(port), $"the service to listen on port {port}", 120);
        int service = Status("web")!.Pid!.Value;

        var engine = Engines();
        Assert.Equal(EngineRegistry.LocalName, engine.GetProperty("name").GetString());
        Assert.Equal(pid, engine.GetProperty("pid").GetInt32());
        Assert.Equal("running", engine.GetProperty("state").GetString());
        Assert.Equal(["linux-x64", "big-memory"], engine.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(2, engine.GetProperty("jobs").GetInt32());
        Assert.Equal(["demo"], engine.GetProperty("repos").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(_sandbox.StoreDirectory, engine.GetProperty("store").GetString());
        Assert.True(engine.TryGetProperty("last_heartbeat", out _));
        var text = _sandbox.Clive("engines").Stdout;
        Assert.Contains($"{EngineRegistry.LocalName}: running since ", text);
        Assert.Contains("labels linux-x64, big-memory; 2 job slots", text);
        Assert.Contains($"pid {pid} on {Environment.MachineName}", text);

        // The advert is an entity: people read it with clive entity, models with FromRef.
        var entity = _sandbox.Clive("entity", "get", EngineRegistry.Repo, EngineRegistry.LocalName);
        Assert.True(entity.ExitCode == 0, entity.Output);
        using (var value = JsonDocument.Parse(entity.Stdout))
        {
            Assert.Equal("Running", value.RootElement.GetProperty("State").GetString());
            Assert.Equal(pid, value.RootElement.GetProperty("Pid").GetInt32());
            Assert.Equal(["linux-x64", "big-memory"], value.RootElement.GetProperty("Labels").EnumerateArray().Select(l => l.GetString()));
            Assert.Equal(2, value.RootElement.GetProperty("Jobs").GetInt32());
        }
        using (var version = JsonDocument.Parse(_sandbox.Clive("entity", "get", "--json", EngineRegistry.Repo, EngineRegistry.LocalName).Stdout))
            Assert.Equal($"engine started (pid {pid})", version.RootElement.GetProperty("message").GetString());

        // Stopped as Ctrl-C stops it: once `clive down` returns, the service is gone and recorded, the port free.
        var down = _sandbox.Clive("down");
        Assert.True(down.ExitCode == 0, down.Output);
        Assert.Equal($"clive down: engine (pid {pid}) stopped\n", down.Stdout);
        Assert.False(Alive(pid));
        Assert.False(Alive(service), "the service's process is gone");
        Assert.False(Accepts(port), "the port is released");
        Assert.Equal(CellState.Stopped, Status("web")!.State);
        engine = Engines();
        Assert.Equal("stopped", engine.GetProperty("state").GetString());
        Assert.False(engine.TryGetProperty("why", out _), "a clean stop needs no explanation");
        Assert.Contains($"{EngineRegistry.LocalName}: stopped since ", _sandbox.Clive("engines").Stdout);
        using (var value = JsonDocument.Parse(_sandbox.Clive("entity", "get", EngineRegistry.Repo, EngineRegistry.LocalName).Stdout))
        {
            Assert.Equal("Stopped", value.RootElement.GetProperty("State").GetString());
            Assert.Equal(JsonValueKind.String, value.RootElement.GetProperty("Stopped").ValueKind);
        }
    }

    [Fact]
    public void DownWithNoEngineRunningSaysSoAndSucceeds_AndABadLabelStartsNothing()
    {
        var none = _sandbox.Clive("down");
        Assert.Equal(0, none.ExitCode);
        Assert.Equal($"clive down: no engine is running on the store {_sandbox.StoreDirectory}\n", none.Stdout);
        Assert.False(Directory.Exists(_sandbox.StoreDirectory), "down creates no store");

        var bad = _sandbox.Clive("up", "--detach", "--all", "--label", "big memory");
        Assert.Equal(128, bad.ExitCode);
        Assert.Equal("fatal: invalid label 'big memory': letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit\n", bad.Stderr);
        Assert.False(Directory.Exists(_sandbox.StoreDirectory), "nothing was started or written");

        _sandbox.NewRepo("work", ("a.txt", "a\n"));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var empty = _sandbox.Clive("engines");
        Assert.Equal(0, empty.ExitCode);
        Assert.Equal("no engine has run on this store (start one with clive up)\n", empty.Stdout);
        Assert.Equal("[]\n", _sandbox.Clive("engines", "--json").Stdout);
    }

    [Fact]
    public void AKilledDetachedEngineIsShownStopped_ASecondUpIsRefusedWhileOneRuns_AndANewOneStarts()
    {
        _sandbox.NewRepo("work", ("clive.csx", """Cells.Command("hello").Run("echo hi > $CLIVE_OUT/hi.txt");"""));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        int first = UpDetached("--all");

        var second = _sandbox.Clive("up", "--detach", "--all");
        Assert.Equal(128, second.ExitCode);
        Assert.StartsWith($"fatal: an engine is already running on the store {_sandbox.StoreDirectory} (pid {first}: clive up ", second.Stderr);
        Assert.Single(second.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        ProcessRunner.Run("kill", ["-KILL", first.ToString()], _sandbox.Root, _sandbox.Environment);
        Poll.Until(() => !Alive(first), "the engine to die");
        var engine = Engines();
        Assert.Equal("stopped", engine.GetProperty("state").GetString());
        Assert.Equal($"process {first} is gone", engine.GetProperty("why").GetString());
        Assert.Contains($"stopped since ", _sandbox.Clive("engines").Stdout);
        Assert.Contains($"(process {first} is gone)", _sandbox.Clive("engines").Stdout);

        int next = UpDetached("--all");
        Assert.NotEqual(first, next);
        engine = Engines();
        Assert.Equal("running", engine.GetProperty("state").GetString());
        Assert.Equal(next, engine.GetProperty("pid").GetInt32());
        Assert.Equal(["*"], engine.GetProperty("repos").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(0, _sandbox.Clive("down").ExitCode);
        Assert.False(Alive(next));
    }

    [Fact]
    public void AnEngineThatStopsBeatingIsShownStopped_UntilItBeatsAgain()
    {
        int pid = UpDetached("--all");
        Assert.Equal("running", Engines().GetProperty("state").GetString());
        // Frozen, not dead: its process is there, only the heartbeat tells.
        ProcessRunner.Run("kill", ["-STOP", pid.ToString()], _sandbox.Root, _sandbox.Environment);
        try
        {
            Poll.Until(() => Engines().GetProperty("state").GetString() == "stopped", "the stale heartbeat to show",
                EngineRegistry.HeartbeatStale.TotalSeconds + 30);
            Assert.Equal($"no heartbeat for more than {EngineRegistry.HeartbeatStale.TotalSeconds:0} s", Engines().GetProperty("why").GetString());
            Assert.True(Alive(pid));
        }
        finally
        {
            ProcessRunner.Run("kill", ["-CONT", pid.ToString()], _sandbox.Root, _sandbox.Environment);
        }
        Poll.Until(() => Engines().GetProperty("state").GetString() == "running", "the engine to beat again", EngineRegistry.HeartbeatInterval.TotalSeconds + 30);
        Assert.Equal(0, _sandbox.Clive("down").ExitCode);
    }
}
