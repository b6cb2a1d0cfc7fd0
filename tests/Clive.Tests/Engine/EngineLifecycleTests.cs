using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>Services, engines killed mid-run, and edits saved in a clive-fs mount.</summary>
public sealed class EngineLifecycleTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private void Push(string path, string content)
    {
        _sandbox.Commit("work", path, content);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ");

    [Fact]
    public void AServiceStartsRestartsWhenItsInputsChangeAndStopsWithTheEngine()
    {
        var marker = Guid.NewGuid().ToString("N");
        var model = $$"""Cells.Service("web").Files("msg.txt").Run("cat msg.txt; exec sleep 1000 # {{marker}}");""";
        _sandbox.NewRepo("work", ("msg.txt", "one\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var engine = new EngineProcess(_sandbox);
        try
        {
            engine.WaitForCells("demo", CellState.Serving, "web");
            int first = engine.Status("demo", "web")!.Pid!.Value;
            Assert.True(Alive(first));
            engine.Wait(() => _sandbox.Clive("logs", "web").Stdout == "one\n", "the service's log");

            // An unrelated change leaves it alone; a change to its input restarts it.
            Push("README", "unrelated\n");
            engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), null, "web");
            Assert.Equal(first, engine.Status("demo", "web")!.Pid);

            Push("msg.txt", "two\n");
            engine.Wait(() => engine.Status("demo", "web") is { State: CellState.Serving, Pid: { } pid } && pid != first, "a restarted service");
            int second = engine.Status("demo", "web")!.Pid!.Value;
            engine.Wait(() => !Alive(first), "the old process to be gone", 15);
            engine.Wait(() => _sandbox.Clive("logs", "web").Stdout == "two\n", "the new log");

            Assert.Equal(0, engine.Stop());
            engine.Wait(() => true, "");
            Assert.False(Alive(second));
            Assert.Equal(CellState.Stopped, engine.Status("demo", "web")!.State);
        }
        finally
        {
            engine.Dispose();
        }
    }

    [Fact]
    public void AnEngineKilledMidRunFinishesTheWorkWhenRestartedWithoutRedoingWhatWasDone()
    {
        // Cells see nothing of the host but what the owner shows them (--tool, read-only): the test
        // lets the slow command go on the second run by creating a file there.
        var gate = Directory.CreateDirectory(_sandbox.PathOf("gate")).FullName;
        var model = $$"""
            Cells.Command("quick").Files("a.txt").Run("cp a.txt $CLIVE_OUT/");
            var slow = Cells.Command("slow").Files("b.txt").Run("if [ ! -e {{gate}}/go ]; then sleep 600; fi; cp b.txt $CLIVE_OUT/");
            Cells.Command("after").From(slow).Run("cp slow/b.txt $CLIVE_OUT/after.txt");
            """;
        _sandbox.NewRepo("work", ("a.txt", "a\n"), ("b.txt", "b\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var engine = new EngineProcess(_sandbox, "--tool", gate);
        engine.WaitForCells("demo", CellState.Succeeded, "quick");
        engine.WaitForCells("demo", CellState.Running, "slow");
        engine.Wait(() => engine.Status("demo", "slow")?.Pid is not null, "the slow command's pid");
        int orphan = engine.Status("demo", "slow")!.Pid!.Value;
        int killed = engine.Pid;
        engine.Kill();
        engine.Dispose();
        Assert.True(Alive(orphan), "the command outlives an engine killed with -9");
        // Its last rows still say "running": status asks whether the engine's process lives instead.
        var status = _sandbox.Clive("status", "demo").Stdout;
        Assert.Contains($"no engine is running: the last one (pid {killed}) ended without stopping, last seen ", status);
        Assert.Matches($@"slow\s+stopped.*pid {orphan} outlived the engine; the next clive up stops it", status);
        Assert.DoesNotContain("running", status.Replace("no engine is running", ""));

        File.WriteAllText(Path.Combine(gate, "go"), "");
        using var restarted = new EngineProcess(_sandbox, "--tool", gate);
        restarted.WaitForCells("demo", CellState.Succeeded, "quick", "slow", "after");
        Assert.False(Alive(orphan), "the restarted engine stops what the killed one left running");
        var runs = restarted.Runs("demo");
        Assert.Equal(1, runs["quick"]);
        Assert.Equal(2, runs["slow"]);
        Assert.Equal(1, runs["after"]);
        Assert.Contains(restarted.RunHistory("demo"), r => r.Cell == "slow" && r.Finished is null);
    }

    [SkippableFact]
    public void AFileSavedInAMountRunsTheCellsThatReadIt()
    {
        const string model = """
            var upper = Cells.Command("upper").Files("notes/*.txt").Run("cat notes/*.txt | tr a-z A-Z > $CLIVE_OUT/all.txt");
            Cells.Command("words").From(upper).Run("wc -w < upper/all.txt | tr -d ' ' > $CLIVE_OUT/words");
            Cells.Command("unrelated").Files("other/*").Run("true");
            """;
        _sandbox.NewRepo("work", ("notes/a.txt", "one two\n"), ("other/x", "x\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "upper", "words", "unrelated");
        engine.WaitIdle("demo");
        using var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "0.2");
        var before = engine.Runs("demo");

        File.WriteAllText(mount.PathOf("notes/b.txt"), "three four five\n");
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("words") == before["words"] + 1, "words to run after the save");
        engine.WaitIdle("demo");
        var after = engine.Runs("demo");
        Assert.Equal(before["upper"] + 1, after["upper"]);
        Assert.Equal(before["unrelated"], after["unrelated"]);
        // The output is in the store and in the mount's .clive/ view.
        engine.Wait(() => File.Exists(mount.PathOf(".clive/cells/words/out/words")) && File.ReadAllText(mount.PathOf(".clive/cells/words/out/words")) == "5\n",
            "the output in the mount");
    }
}
