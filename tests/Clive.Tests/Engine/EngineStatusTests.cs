using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>What `clive status` and `clive run` tell a user: whether an engine runs, why a branch shows nothing, which cell a name means.</summary>
public sealed class EngineStatusTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

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

    [Fact]
    public void SigtermStopsTheEngineAndItsServices_ThePortIsFreed_AndStatusSaysNoEngineRuns()
    {
        int port = FreePort();
        var model = $$"""Cells.Service("web").Network().Run("exec /usr/bin/python3 -m http.server {{port}} --bind 127.0.0.1");""";
        _sandbox.NewRepo("work", ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox, "--repo", "demo");
        engine.WaitForCells("demo", CellState.Serving, "web");
        engine.Wait(() => Accepts(port), $"the service to listen on port {port}");
        int pid = engine.Status("demo", "web")!.Pid!.Value;
        var running = _sandbox.Clive("status", "demo").Stdout;
        Assert.Contains($"engine running (pid {engine.Pid}, since ", running);
        Assert.Matches($@"web\s+serving.*pid {pid}", running);

        // The engine exits only once its services are stopped and recorded: no waiting needed after it.
        Assert.Equal(0, engine.Stop());
        Assert.False(Accepts(port), "the port is released");
        Assert.False(Directory.Exists($"/proc/{pid}"), "the service's process is gone");
        var stopped = _sandbox.Clive("status", "demo");
        Assert.Equal(0, stopped.ExitCode);
        Assert.Contains("no engine is running: the last one stopped ", stopped.Stdout);
        Assert.DoesNotContain("serving", stopped.Stdout);
        Assert.DoesNotContain($"pid {pid}", stopped.Stdout);
        using var json = JsonDocument.Parse(_sandbox.Clive("status", "--json").Stdout);
        Assert.False(json.RootElement.GetProperty("engine").GetProperty("running").GetBoolean());
        Assert.True(json.RootElement.GetProperty("engine").TryGetProperty("stopped", out _));
        Assert.Equal("stopped", json.RootElement.GetProperty("refs")[0].GetProperty("cells")[0].GetProperty("state").GetString());
    }

    [Fact]
    public void StatusSaysWhyABranchShowsNoCells_NoBranch_NoModel_OrNotEvaluated()
    {
        _sandbox.NewRepo("work", ("a.txt", "a\n"));
        _sandbox.GitOk("work", "branch", "-M", "main");
        _sandbox.Commit("work", "app/clive.csx", """Cells.Command("copy").Files("a.txt").Run("cp a.txt $CLIVE_OUT/");""");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main", "main~1:refs/heads/bare");
        var before = _sandbox.StoreSnapshot();

        var nosuch = _sandbox.Clive("status", "--branch", "nosuch");
        Assert.Equal(128, nosuch.ExitCode);
        Assert.Equal("fatal: no repo has a branch 'nosuch'\n", nosuch.Stderr);
        Assert.Equal("fatal: demo has no branch 'nosuch'\n", _sandbox.Clive("status", "demo", "--branch", "nosuch").Stderr);

        var bare = _sandbox.Clive("status", "demo", "--branch", "bare");
        Assert.Equal(0, bare.ExitCode);
        Assert.Equal("no engine is running (none has run on this store: clive up --repo NAME)\ndemo@bare has no model: no clive.csx in its tree\n", bare.Stdout);

        var main = _sandbox.Clive("status", "demo").Stdout;
        Assert.Contains("demo@main has a model (clive.csx) that no engine has evaluated", main);
        Assert.Contains("demo@main has a model", _sandbox.Clive("status", "--branch", "main").Stdout);
        using var json = JsonDocument.Parse(_sandbox.Clive("status", "demo", "--branch", "bare", "--json").Stdout);
        Assert.Equal("demo@bare has no model: no clive.csx in its tree", json.RootElement.GetProperty("note").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("refs").GetArrayLength());
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void CliveRunFindsACellByNameAcrossRepos_AsksOnlyWhenTheNameIsAmbiguous_AndPrintsAComputedValue()
    {
        _sandbox.NewRepo("work", ("clive.csx", """
            Cells.Command("hello").Run("echo hello");
            Cells.Command("shared").Run("echo shared in demo");
            Cells.Compute("total", ctx => new[] { 1, 2, 3 }.Sum());
            """));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.NewRepo("other", ("clive.csx", """Cells.Command("shared").Run("echo shared in other");"""));
        _sandbox.GitOk("other", "push", "-q", GitSandbox.Url("other"), "main");
        using (var engine = new EngineProcess(_sandbox))
        {
            engine.WaitForCells("demo", CellState.Succeeded, "hello", "shared", "total");
            engine.WaitForCells("other", CellState.Succeeded, "shared");
        }

        var hello = _sandbox.Clive("run", "hello");
        Assert.Equal(0, hello.ExitCode);
        Assert.Equal("hello\n", hello.Stdout);
        Assert.Equal("6\n", _sandbox.Clive("run", "total").Stdout);

        var ambiguous = _sandbox.Clive("run", "shared");
        Assert.Equal(128, ambiguous.ExitCode);
        Assert.Equal("fatal: 'shared' names 2 cells: shared in demo@main, shared in other@main; say which with --repo/--branch or the full name\n",
            ambiguous.Stderr);
        Assert.Equal(ambiguous.Stderr, _sandbox.Clive("logs", "shared").Stderr);
        Assert.Equal("shared in other\n", _sandbox.Clive("run", "shared", "--repo", "other").Stdout);
        Assert.Equal("shared in other\n", _sandbox.Clive("logs", "shared", "--repo", "other").Stdout);

        var missing = _sandbox.Clive("run", "nosuch");
        Assert.Equal(128, missing.ExitCode);
        Assert.Equal("fatal: no repo shows a cell 'nosuch' yet (see clive status); say which of the store's 2 repos with --repo\n", missing.Stderr);
    }

    [Theory]
    [InlineData("pid 1\npid 2\nprocess-start 5\nstarted 1700000000000\n")]
    [InlineData("pid 1\nprocess-start 5\nstarted 99999999999999999\n")]
    [InlineData("pid 1\nprocess-start 5\nstarted 1700000000000\nstopped 9223372036854775807\n")]
    [InlineData("pid 99999999999\nprocess-start 5\nstarted 1700000000000\n")]
    [InlineData("\u0000\u00ff garbage\nnot a state\n")]
    [InlineData("")]
    public void AStateFileTheEngineDidNotWrite_MakesStatusSayTheEngineIsUnknown_InOneLine(string state)
    {
        _sandbox.NewRepo("work", ("a.txt", "a\n"));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        File.WriteAllText(Path.Combine(_sandbox.StoreDirectory, EngineLock.StateName), state);

        var status = _sandbox.Clive("status");
        Assert.Equal("", status.Stderr);
        Assert.Equal(0, status.ExitCode);
        Assert.StartsWith($"engine state unknown: {Path.Combine(_sandbox.StoreDirectory, EngineLock.StateName)} is not a state clive up wrote; ",
            status.Stdout);
        var json = _sandbox.Clive("status", "--json");
        Assert.Equal(("", 0), (json.Stderr, json.ExitCode));
        using var document = JsonDocument.Parse(json.Stdout);
        var engine = document.RootElement.GetProperty("engine");
        Assert.False(engine.GetProperty("running").GetBoolean());
        Assert.Contains("is not a state clive up wrote", engine.GetProperty("unknown").GetString());
    }

    [Fact]
    public void CliveRun_IsRefusedWhileAnotherEngineRuns_NamingIt_AndRunsNothing()
    {
        _sandbox.NewRepo("work", ("clive.csx", """
            Cells.Command("hello").Run("echo hello");
            Cells.Command("slow").Run("exec sleep 120");
            """));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        string Refusal(int pid, string command) => $"fatal: an engine is already running on the store {_sandbox.StoreDirectory} (pid {pid}: clive {command})\n";
        int HelloRuns()
        {
            using var store = _sandbox.OpenStore();
            return store.Cells.Runs("demo").Count(r => r.Cell == "hello");
        }

        using (var engine = new EngineProcess(_sandbox))
        {
            engine.WaitForCells("demo", CellState.Succeeded, "hello");
            var refused = _sandbox.Clive("run", "hello");
            Assert.Equal((128, "", Refusal(engine.Pid, "up --jobs 2 --all")), (refused.ExitCode, refused.Stdout, refused.Stderr));
            Assert.Equal(1, HelloRuns());
        }

        // Two `clive run` at once: the second is refused while the first holds the store.
        using var first = ProcessRunner.Start(Binaries.Clive, ["run", "slow"], _sandbox.Root, _sandbox.Environment);
        first.StandardInput.Close();
        Poll.Until(() => EngineLock.Probe(_sandbox.StoreDirectory) is { Running: true } e && e.Pid == first.Id, "the first clive run to hold the store");
        var second = _sandbox.Clive("run", "hello");
        Assert.Equal((128, Refusal(first.Id, "run slow")), (second.ExitCode, second.Stderr));
        Assert.Equal(1, HelloRuns());

        ProcessRunner.Run("kill", ["-TERM", first.Id.ToString()], _sandbox.Root, _sandbox.Environment);
        Assert.True(first.WaitForExit(30_000), "clive run did not stop on SIGTERM");
        Assert.Contains("no engine is running: the last one stopped ", _sandbox.Clive("status").Stdout);
        Assert.Equal("hello\n", _sandbox.Clive("run", "hello").EnsureSuccess("clive run once the store is free").Stdout);
    }
}
