using System.Net;
using System.Net.Sockets;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// What a model's code can reach: cells run under bubblewrap with only their inputs, their output
/// directory and the system's programs; compute cells and the model's own top-level code run in a
/// sandboxed model host, out of the engine's process; work directories are private.
/// </summary>
public sealed class SandboxTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private void PushModel(string model, params (string Path, string Content)[] files)
    {
        _sandbox.NewRepo("work", [.. files, ("clive.csx", model)]);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private string Show(string path)
    {
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "+refs/clive/*:refs/clive/*");
        return _sandbox.GitOk("work", "show", path).Stdout;
    }

    [Fact]
    public void ACommandSeesNeitherTheStoreNorHomesNorHostKeys_AndWritesOnlyItsOutput()
    {
        File.WriteAllText(Path.Combine(_sandbox.Home, "private.txt"), "the engine user's file\n");
        var probes = string.Join(' ', _sandbox.StoreDirectory, Path.Combine(_sandbox.StoreDirectory, "store.db"), _sandbox.Home, "/etc/ssh", "/etc/shadow", "/root");
        PushModel($$"""
            Cells.Command("probe").Files("input.txt").Run("for p in {{probes}}; do [ -e $p ] && echo visible $p; done > $CLIVE_OUT/seen; "
                + "for p in /usr/pwned /etc/pwned {{_sandbox.StoreDirectory}}/pwned; do touch $p 2>/dev/null && echo wrote $p; done >> $CLIVE_OUT/seen; "
                + "cat input.txt > $CLIVE_OUT/input; env | sort > $CLIVE_OUT/env");
            """, ("input.txt", "mine\n"));
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "probe");

        Assert.Equal("", Show("refs/clive/cells/main/probe:out/seen"));
        Assert.Equal("mine\n", Show("refs/clive/cells/main/probe:out/input"));
        Assert.False(File.Exists("/usr/pwned") || File.Exists("/etc/pwned") || File.Exists(Path.Combine(_sandbox.StoreDirectory, "pwned")));
        // Nothing of the engine's environment leaks in: not the store's path, not its HOME.
        var environment = Show("refs/clive/cells/main/probe:out/env");
        Assert.DoesNotContain("CLIVE_STORE", environment);
        Assert.DoesNotContain(_sandbox.Home, environment);
    }

    [Fact]
    public void ACommandRunsWithDefaultSignals_APipeClosedEarlyEndsQuietly()
    {
        PushModel("""Cells.Command("pipe").Run("yes | head -n 2 > $CLIVE_OUT/two");""");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "pipe");

        Assert.Equal("y\ny\n", Show("refs/clive/cells/main/pipe:out/two"));
        // A result keeps stderr only when there was some: no "Broken pipe" from yes.
        Assert.DoesNotContain("stderr", _sandbox.GitOk("work", "ls-tree", "--name-only", "refs/clive/cells/main/pipe").Stdout);
    }

    [Fact]
    public void ACommandHasNoNetworkUnlessItDeclaresIt()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        const string Connect = "python3 -c \"import socket,sys; socket.create_connection(('127.0.0.1', {0}), 5)\" && echo connected > $CLIVE_OUT/net || echo refused > $CLIVE_OUT/net";
        PushModel($$"""
            Cells.Command("offline").Run("{{string.Format(Connect, port).Replace("\"", "\\\"")}}");
            Cells.Command("online").Network().Run("{{string.Format(Connect, port).Replace("\"", "\\\"")}}");
            """);
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "offline", "online");

        Assert.Equal("refused\n", Show("refs/clive/cells/main/offline:out/net"));
        Assert.Equal("connected\n", Show("refs/clive/cells/main/online:out/net"));
    }

    [Fact]
    public void ModelCodeRunsOutsideTheEngine_NeitherItsScriptNorItsComputeCellsReachTheStore()
    {
        var storeDb = Path.Combine(_sandbox.StoreDirectory, "store.db");
        PushModel($$"""
            // Top-level code runs where compute cells do: in the model host, not in the engine.
            var sawStoreWhenLoading = File.Exists("{{storeDb}}");
            Cells.Compute("where", ctx => new Dictionary<string, object>
            {
                ["pid"] = Environment.ProcessId,
                ["store"] = sawStoreWhenLoading || File.Exists("{{storeDb}}"),
                ["home"] = Directory.Exists("{{_sandbox.Home}}"),
                ["ssh"] = Directory.Exists("/etc/ssh"),
                ["wrote"] = TryWrite("{{_sandbox.StoreDirectory}}/pwned"),
                ["input"] = ctx.ReadText("input.txt"),
            }).Files("input.txt");
            static bool TryWrite(string path) { try { File.WriteAllText(path, "x"); return true; } catch { return false; } }
            """, ("input.txt", "mine\n"));
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "where");

        var value = System.Text.Json.JsonDocument.Parse(Show("refs/clive/cells/main/where:value.json")).RootElement;
        Assert.NotEqual(engine.Pid, value.GetProperty("pid").GetInt32());
        Assert.False(value.GetProperty("store").GetBoolean());
        Assert.False(value.GetProperty("home").GetBoolean());
        Assert.False(value.GetProperty("ssh").GetBoolean());
        Assert.False(value.GetProperty("wrote").GetBoolean());
        Assert.Equal("mine\n", value.GetProperty("input").GetString());
        Assert.False(File.Exists(Path.Combine(_sandbox.StoreDirectory, "pwned")));
    }

    [Fact]
    public void AComputeCellThatKillsItsHostFailsWithoutPoisoningTheCache_OthersStillRun()
    {
        PushModel("""
            Cells.Compute("exit", ctx => { Environment.Exit(3); return 0; });
            Cells.Compute("fine", ctx => ctx.ReadText("input.txt").Length).Files("input.txt");
            """, ("input.txt", "four"));
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Failed, "exit");
        engine.Wait(() => engine.Status("demo", "fine")?.State is CellState.Succeeded or CellState.Failed, "fine to finish");
        Assert.Contains("the model host exited (code 3)", engine.Status("demo", "exit")!.Message);
        // A host that died is no result: nothing is cached under its key.
        Assert.DoesNotContain("refs/clive/cells/main/exit", _sandbox.Clive("refs", "demo").Stdout);
        Assert.True(engine.Status("demo", "fine")!.State == CellState.Succeeded
            || engine.Status("demo", "fine")!.Message!.Contains("model host exited"), "fine fails only if it shared the dying host");
    }

    [Fact]
    public void CellsRunInAPrivateUnguessableDirectory_SeenAtAFixedPathInside()
    {
        PushModel("""Cells.Command("where").Files("app/*").Run("pwd > $CLIVE_OUT/pwd; echo $CLIVE_OUT > $CLIVE_OUT/out");""", ("app/x", "x"));
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "where");

        Assert.Equal("/clive/tree\n", Show("refs/clive/cells/main/where:out/pwd"));
        Assert.Equal("/clive/out\n", Show("refs/clive/cells/main/where:out/out"));
        // On the host: under the store, 0700, with a name no other user can guess or create first.
        var work = Path.Combine(_sandbox.StoreDirectory, "engine", "work");
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(work));
        var run = Assert.Single(Directory.GetDirectories(work));
        Assert.Matches("^run-[0-9a-f]{24}$", Path.GetFileName(run));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(run));
    }

    [Fact]
    public void AWorkDirectoryOthersCanEnterIsRefused()
    {
        var work = Directory.CreateDirectory(Path.Combine(_sandbox.StoreDirectory, "engine", "work")).FullName;
        File.SetUnixFileMode(work, (UnixFileMode)0x1FF); // 0777: another local user could plant files in it

        var up = _sandbox.Clive("up", "--all");

        Assert.Equal(128, up.ExitCode);
        Assert.Contains($"fatal: refusing the work directory {work}: others may enter it", up.Stderr);
        Assert.DoesNotContain("   at ", up.Stderr);
    }

    [Fact]
    public void TheEngineWatchesOnlyTheReposItIsTold()
    {
        var up = _sandbox.Clive("up");
        Assert.Equal(128, up.ExitCode);
        Assert.Contains("say which repos to watch: --repo NAME (repeatable) or --all", up.Stderr);

        PushModel("""Cells.Command("c").Run("true");""");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("other"), "main");
        using var engine = new EngineProcess(_sandbox, "--repo", "other");
        engine.WaitForCells("other", CellState.Succeeded, "c");
        Assert.Empty(engine.Runs("demo"));
    }
}
