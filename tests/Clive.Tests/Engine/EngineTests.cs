using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// The engine end to end: a repo with a clive.csx pushed through git-remote-clive, a real `clive up`
/// running its cells, outputs fetched back with git, and changes that run exactly what they affect.
/// </summary>
public sealed class EngineTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private const string Model = """
        // upper: every .txt in upper case; count: the size of that; files: a value computed in C#.
        var upper = Cells.Command("upper").Files("src/*.txt").Run("cat src/*.txt | tr a-z A-Z > $CLIVE_OUT/upper.txt");
        Cells.Command("count").From(upper).Run("wc -c < upper/upper.txt | tr -d ' ' > $CLIVE_OUT/count");
        Cells.Compute("files", ctx => ctx.Files.Select(f => f + ":" + ctx.ReadText(f).Trim()).ToList()).Files("src/*.txt");
        Cells.Command("other").Files("other.txt").Run("cp other.txt $CLIVE_OUT/");
        """;

    private void PushModel(string model = Model)
    {
        _sandbox.NewRepo("work");
        _sandbox.Commit("work", "src/a.txt", "hello\n");
        _sandbox.Commit("work", "src/b.txt", "world\n");
        _sandbox.Commit("work", "other.txt", "other\n");
        _sandbox.Commit("work", "clive.csx", model);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    /// <summary>Pushes <see cref="Model"/> and starts an engine that has run every cell of it once.</summary>
    private EngineProcess StartOnModel()
    {
        PushModel();
        var engine = new EngineProcess(_sandbox);
        try
        {
            engine.WaitForCells("demo", CellState.Succeeded, "upper", "count", "files", "other");
            return engine;
        }
        catch
        {
            engine.Dispose();
            throw;
        }
    }

    private void Push(string path, string content)
    {
        _sandbox.Commit("work", path, content);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private static Dictionary<string, int> Delta(Dictionary<string, int> before, Dictionary<string, int> after)
        => after.Where(a => a.Value != before.GetValueOrDefault(a.Key)).ToDictionary(a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key));

    [Fact]
    public void PushedModelRunsItsCellsAndGitFetchesTheOutputs()
    {
        using var engine = StartOnModel();

        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "refs/clive/*:refs/clive/*");
        Assert.Equal("HELLO\nWORLD\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/upper:out/upper.txt").Stdout);
        Assert.Equal("12\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/count:out/count").Stdout);
        Assert.Equal("[\n  \"src/a.txt:hello\",\n  \"src/b.txt:world\"\n]\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/files:value.json").Stdout);
        Assert.Contains("state: succeeded", _sandbox.GitOk("work", "show", "refs/clive/cells/main/count:result").Stdout);

        var status = _sandbox.Clive("status", "--json");
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("\"name\": \"upper\"", status.Stdout);
        Assert.Contains("\"state\": \"succeeded\"", status.Stdout);
        var table = _sandbox.Clive("status", "demo").Stdout;
        Assert.Matches(@"upper\s+succeeded\s+\d+ ms\s+1\s+[0-9a-f]{12}\s+[0-9a-f]{12}", table);
    }

    [Fact]
    public void ChangingOneInputByPushRunsExactlyTheCellsThatDependOnIt()
    {
        using var engine = StartOnModel();
        engine.WaitIdle("demo");
        var before = engine.Runs("demo");

        Push("src/a.txt", "hi\n");
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), CellState.Succeeded, "count");
        engine.WaitIdle("demo");
        Assert.Equal(new Dictionary<string, int> { ["upper"] = 1, ["count"] = 1, ["files"] = 1 }, Delta(before, engine.Runs("demo")));

        // A file no cell reads: a new commit, and nothing runs.
        before = engine.Runs("demo");
        Push("README.md", "not an input\n");
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), null, "other");
        engine.WaitIdle("demo");
        Assert.Empty(Delta(before, engine.Runs("demo")));
    }

    [Fact]
    public void AnOutputThatDidNotChangeDoesNotWakeItsDependents()
    {
        // "strip" is a compiler for a language whose comments start with '#': a comment-only
        // change compiles to the same output, so "run" (which uses it) must not run again.
        const string model = """
            var strip = Cells.Command("strip").Files("prog.src").Run("grep -v '^#' prog.src > $CLIVE_OUT/prog");
            Cells.Command("run").From(strip).Run("cat strip/prog > $CLIVE_OUT/ran");
            """;
        _sandbox.NewRepo("work", ("prog.src", "# version 1\necho hi\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "strip", "run");
        engine.WaitIdle("demo");
        var before = engine.Runs("demo");

        Push("prog.src", "# version 2, only the comment changed\necho hi\n");
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), null, "strip", "run");
        engine.WaitIdle("demo");
        Assert.Equal(new Dictionary<string, int> { ["strip"] = 1 }, Delta(before, engine.Runs("demo")));

        Push("prog.src", "# version 2\necho changed\n");
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("run") == 2, "run to run again on a real change");
    }

    [Fact]
    public void EditingTheModelRunsOnlyTheCellsWhoseDefinitionChanged()
    {
        using var engine = StartOnModel();
        engine.WaitIdle("demo");
        var before = engine.Runs("demo");

        // "other" gets a new command; the rest of the script is the same text.
        Push("clive.csx", Model.Replace("cp other.txt $CLIVE_OUT/", "cp other.txt $CLIVE_OUT/copy.txt"));
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), CellState.Succeeded, "other");
        engine.WaitIdle("demo");
        Assert.Equal(new Dictionary<string, int> { ["other"] = 1 }, Delta(before, engine.Runs("demo")));
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "refs/clive/*:refs/clive/*");
        Assert.Equal("other\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/other:out/copy.txt").Stdout);
    }

    [Fact]
    public void AScriptThatDoesNotCompileKeepsTheLastGoodModelRunning()
    {
        using var engine = StartOnModel();

        Push("clive.csx", Model + "\nCells.Command(\"broken\").Run(undefinedVariable);\n");
        engine.Wait(() => { using var s = _sandbox.OpenStore(); return s.Cells.Models("demo").Single().State == "error"; }, "the model error");
        var model = _sandbox.OpenStore().Cells.Models("demo").Single();
        Assert.Contains("/clive.csx(6,", model.Diagnostics);
        Assert.Contains("CS0103", model.Diagnostics);
        var run = _sandbox.Clive("status");
        Assert.Equal(1, run.ExitCode);
        var json = _sandbox.Clive("status", "--json");
        Assert.Equal(1, json.ExitCode);
        Assert.Contains("\"state\": \"error\"", json.Stdout);
        Assert.Contains("CS0103", json.Stdout);
        var status = run.Stdout;
        Assert.Contains("does not load", status);
        Assert.Contains("undefinedVariable", status);

        // The last good model still reacts: a change to an input runs its cells on the new files.
        var before = engine.Runs("demo");
        Push("other.txt", "changed while the script is broken\n");
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("other") == before["other"] + 1, "other to run under the last good model");
        engine.WaitIdle("demo");
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "refs/clive/*:refs/clive/*");
        Assert.Equal("changed while the script is broken\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/other:out/other.txt").Stdout);
    }

    [Fact]
    public void AScriptWhoseEveryLineIsCommentedOutIsAnEmptyModelNotAnError()
    {
        using var engine = StartOnModel();
        engine.WaitIdle("demo");

        // Roslyn emits nothing for a script without members and names no error: this once showed as
        // "does not load" with an empty reason.
        Push("clive.csx", "// every cell commented out for now\n// Cells.Command(\"other\").Run(\"true\");\n");
        var commit = _sandbox.RevParse("work", "HEAD");
        engine.Wait(() => { using var s = _sandbox.OpenStore(); return s.Cells.Models("demo").Single().Source.ToString() == commit; }, "the commented-out model");
        var model = _sandbox.OpenStore().Cells.Models("demo").Single();
        Assert.Equal(("ok", null, 0), (model.State, model.Diagnostics, model.Cells));
        Assert.Equal(0, _sandbox.Clive("status").ExitCode);
    }

    [Fact]
    public void AFailingCellBlocksItsDependentsAndEverythingElseGoesOn()
    {
        const string model = """
            var bad = Cells.Command("bad").Files("x.txt").Run("echo trying; echo 'no such thing' >&2; exit 3");
            Cells.Command("after-bad").From(bad).Run("true");
            Cells.Command("good").Files("x.txt").Run("cp x.txt $CLIVE_OUT/");
            """;
        _sandbox.NewRepo("work", ("x.txt", "x\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Failed, "bad");
        engine.WaitForCells("demo", CellState.Blocked, "after-bad");
        engine.WaitForCells("demo", CellState.Succeeded, "good");
        Assert.Equal("blocked by bad", engine.Status("demo", "after-bad")!.Message);

        var logs = _sandbox.Clive("logs", "bad");
        Assert.Equal(0, logs.ExitCode);
        Assert.Equal("trying\nno such thing\n", logs.Stdout);
        Assert.Contains("exit code 3", _sandbox.Clive("status").Stdout);
    }

    [Fact]
    public void IndependentCellsRunInParallel()
    {
        const string model = """
            Cells.Command("one").Files("x.txt").Run("sleep 1");
            Cells.Command("two").Files("x.txt").Run("sleep 1");
            """;
        _sandbox.NewRepo("work", ("x.txt", "x\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "one", "two");
        var runs = engine.RunHistory("demo");
        var one = runs.Single(r => r.Cell == "one");
        var two = runs.Single(r => r.Cell == "two");
        Assert.True(one.Started < two.Finished && two.Started < one.Finished, $"runs did not overlap: {one} {two}");
    }

    [Fact]
    public void ANewerChangeCancelsARunItMadeObsolete()
    {
        const string model = """Cells.Command("slow").Files("x.txt").Run("cat x.txt; sleep 30; cp x.txt $CLIVE_OUT/");""";
        _sandbox.NewRepo("work", ("x.txt", "first\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Running, "slow");

        Push("x.txt", "second\n");
        engine.Wait(() => engine.RunHistory("demo").Any(r => r.State == CellState.Cancelled), "the obsolete run to be cancelled", 20);
        engine.Wait(() => engine.RunHistory("demo").Count(r => r.Cell == "slow") == 2, "a run for the new commit");
        Assert.Empty(ProcessTree.Find("sleep 30").Where(p => p.Command.Trim() == "sleep 30").Skip(1));
    }

    [Fact]
    public void CliveRunForcesACellAndShowsItsOutput()
    {
        const string model = """Cells.Command("hello").Files("x.txt").Run("echo hello from $CLIVE_CELL; cat x.txt");""";
        _sandbox.NewRepo("work", ("x.txt", "x\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var first = _sandbox.Clive("run", "hello");
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("hello from hello\nx\n", first.Stdout);
        var second = _sandbox.Clive("run", "hello");
        Assert.Equal("hello from hello\nx\n", second.Stdout);
        using (var store = _sandbox.OpenStore())
            Assert.Equal(2, store.Cells.Runs("demo").Count(r => r.Cell == "hello"));
        Assert.Equal("hello from hello\nx\n", _sandbox.Clive("logs", "hello").Stdout);

        var missing = _sandbox.Clive("run", "nosuch");
        Assert.Equal(128, missing.ExitCode);
        Assert.Equal("fatal: no cell 'nosuch' in the model of demo@main (cells: hello)", missing.Stderr.TrimEnd().Split('\n')[^1]);
        Assert.Equal(128, _sandbox.Clive("logs", "nosuch").ExitCode);
    }

    [Fact]
    public void ARecurringCellRunsOnItsSchedule()
    {
        const string model = """Cells.Command("tick").Run("date +%s%N > $CLIVE_OUT/now").Every(TimeSpan.FromSeconds(1));""";
        _sandbox.NewRepo("work", ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("tick") >= 3, "three ticks", 20);
    }

    [Fact]
    public void ASecondEngineOnTheSameStoreIsRefused()
    {
        // The lock is taken before any model is read: a store with nothing to run shows it as well, without compiling or running a model.
        _sandbox.NewRepo("work", ("a.txt", "a\n"));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        var second = _sandbox.Clive("up", "--all");
        Assert.Equal(128, second.ExitCode);
        Assert.Equal($"fatal: an engine is already running on the store {_sandbox.StoreDirectory} (pid {engine.Pid}: clive up --jobs 2 --all)\n", second.Stderr);
    }

    [Fact]
    public void ScriptsShareCodeWithLoadAndCellsAreNamedByTheirDirectory()
    {
        const string common = """
            // Shared by every script that loads it.
            string Shout(string file) => $"tr a-z A-Z < {file} > $CLIVE_OUT/{file}";
            """;
        const string root = """
            #load "lib/common.csx"
            Cells.Command("top").Files("a.txt").Run(Shout("a.txt"));
            """;
        const string app = """
            #load "../lib/common.csx"
            var build = Cells.Command("build").Files("b.txt").Run(Shout("b.txt"));
            Cells.Command("use-top").From("/top", "top").From(build).Run("cat top/a.txt build/b.txt > $CLIVE_OUT/both.txt");
            """;
        _sandbox.NewRepo("work", ("a.txt", "a\n"), ("app/b.txt", "b\n"), ("lib/common.csx", common), ("clive.csx", root), ("app/clive.csx", app));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "top", "app/build", "app/use-top");
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "refs/clive/*:refs/clive/*");
        Assert.Equal("A\nB\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/app/use-top:out/both.txt").Stdout);
    }

    [Fact]
    public void ACellThatReadsAnotherRepoRunsWhenThatRepoIsPushed()
    {
        _sandbox.NewRepo("lib", ("version.txt", "1\n"));
        _sandbox.GitOk("lib", "push", "-q", GitSandbox.Url("lib"), "main");
        const string model = """Cells.Command("pin").FromRef("lib", "main", "version.txt", "lib").Run("cp lib/version.txt $CLIVE_OUT/");""";
        _sandbox.NewRepo("work", ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox, "--repo", "demo");
        engine.WaitForCells("demo", CellState.Succeeded, "pin");

        _sandbox.Commit("lib", "version.txt", "2\n");
        _sandbox.GitOk("lib", "push", "-q", GitSandbox.Url("lib"), "main");
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("pin") == 2, "pin to run after lib moved");
        engine.WaitIdle("demo");
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "refs/clive/*:refs/clive/*");
        Assert.Equal("2\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/pin:out/version.txt").Stdout);
        // --repo demo: lib's own model (none) is not watched, so it has no status at all.
        using var store = _sandbox.OpenStore();
        Assert.Empty(store.Cells.Models("lib"));
    }

    [Fact]
    public void CliveWatchShowsEachNewStateAsItHappens()
    {
        const string model = """Cells.Command("slow").Files("x.txt").Run("sleep 1; cp x.txt $CLIVE_OUT/");""";
        _sandbox.NewRepo("work", ("x.txt", "x\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var watch = ProcessRunner.Start(Binaries.Clive, ["watch"], _sandbox.Root, _sandbox.Environment);
        var output = new System.Text.StringBuilder();
        watch.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        watch.BeginOutputReadLine();
        using var engine = new EngineProcess(_sandbox);
        engine.Wait(() => { lock (output) return System.Text.RegularExpressions.Regex.IsMatch(output.ToString(), @"slow\s+succeeded"); }, "watch to show slow succeeded", 30);
        watch.Kill();
        var text = output.ToString();
        // Piped, watch prints each state once: the run was seen before its end.
        Assert.Matches(@"slow\s+(queued|running)", text);
        Assert.True(text.IndexOf("running", StringComparison.Ordinal) < text.LastIndexOf("succeeded", StringComparison.Ordinal));
    }
}
