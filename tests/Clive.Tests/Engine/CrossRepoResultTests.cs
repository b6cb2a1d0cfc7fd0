using System.Text.RegularExpressions;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// A model reading another repo's results (refs/clive/cells/…) with FromRef: it runs again when
/// those results change, only when what it reads of them changed, and results that read each
/// other in a cycle do not run one another forever.
/// </summary>
public sealed class CrossRepoResultTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private void Push(string repo, string path, string content)
    {
        _sandbox.Commit(repo, path, content);
        _sandbox.GitOk(repo, "push", "-q", GitSandbox.Url(repo), "main");
    }

    /// <summary>How many evaluations of <paramref name="pipeline"/> ("app@main") have finished, from the engine's log.</summary>
    private static int Evaluations(EngineProcess engine, string pipeline)
        => Regex.Matches(engine.Log, Regex.Escape(pipeline) + @": [0-9a-f]{12}: \d+ cells evaluated").Count;

    [Fact]
    public void ACellReadingAnotherReposResultRunsWhenThatOutputChangesAndOnlyThen()
    {
        _sandbox.NewRepo("lib", ("src/a.txt", "hello\n"),
            ("clive.csx", """Cells.Command("upper").Files("src/*.txt").Run("cat src/*.txt | tr a-z A-Z > $CLIVE_OUT/upper.txt");"""));
        _sandbox.GitOk("lib", "push", "-q", GitSandbox.Url("lib"), "main");
        _sandbox.NewRepo("app", ("clive.csx",
            """Cells.Command("shout").FromRef("lib", "refs/clive/cells/main/upper", at: "lib").Run("cp lib/out/upper.txt $CLIVE_OUT/; test ! -e lib/result");"""));
        _sandbox.GitOk("app", "push", "-q", GitSandbox.Url("app"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("lib", CellState.Succeeded, "upper");
        engine.WaitForCells("app", CellState.Succeeded, "shout");
        engine.WaitIdle("app");
        int before = engine.Runs("app")["shout"];

        // lib's output changes: app's cell runs again on the new result.
        Push("lib", "src/a.txt", "bye\n");
        engine.Wait(() => engine.Runs("app").GetValueOrDefault("shout") == before + 1, "shout to run after lib's upper changed");
        engine.WaitIdle("app");
        _sandbox.GitOk("app", "fetch", "-q", GitSandbox.Url("app"), "refs/clive/*:refs/clive/*");
        Assert.Equal("BYE\n", _sandbox.GitOk("app", "show", "refs/clive/cells/main/shout:out/upper.txt").Stdout);

        // lib's cell runs again with the same output: its result ref moves (a new run, with its own
        // duration in `result`), app evaluates again, and its key is unchanged, so shout does not run (early cutoff).
        int evaluations = Evaluations(engine, "app@main");
        int upperRuns = engine.Runs("lib")["upper"];
        Push("lib", "src/a.txt", "BYE\n");
        engine.Wait(() => engine.Runs("lib").GetValueOrDefault("upper") == upperRuns + 1, "upper to run on the new input");
        engine.Wait(() => Evaluations(engine, "app@main") > evaluations, "app to evaluate again after lib's result moved");
        engine.WaitIdle("app");
        Assert.Equal(before + 1, engine.Runs("app")["shout"]);
    }

    [Fact]
    public void ModelsReadingTheirOwnOrEachOthersResultsDoNotRunEachOtherForever()
    {
        // Every run's output differs (nanoseconds), so reacting to these results would never settle.
        const string stamp = "date +%s%N > $CLIVE_OUT/stamp";
        _sandbox.NewRepo("self", ("clive.csx", $$"""Cells.Command("me").FromRef("", "refs/clive/cells/main/me", "out/**", "prev").Run("{{stamp}}");"""));
        _sandbox.GitOk("self", "push", "-q", GitSandbox.Url("self"), "main");
        _sandbox.NewRepo("ping", ("clive.csx", $$"""Cells.Command("ping").FromRef("pong", "refs/clive/cells/main/pong", "out/**", "pong").Run("{{stamp}}");"""));
        _sandbox.GitOk("ping", "push", "-q", GitSandbox.Url("ping"), "main");
        _sandbox.NewRepo("pong", ("clive.csx", $$"""Cells.Command("pong").FromRef("ping", "refs/clive/cells/main/ping", "out/**", "ping").Run("{{stamp}}");"""));
        _sandbox.GitOk("pong", "push", "-q", GitSandbox.Url("pong"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("self", CellState.Succeeded, "me");
        engine.WaitForCells("ping", CellState.Succeeded, "ping");
        engine.WaitForCells("pong", CellState.Succeeded, "pong");
        // Each cycle is seen when a result of it moves; the engine says so rather than evaluating again.
        engine.WaitForLog("self@main: not evaluated again when self refs/clive/cells/main/me moves: that result depends on self@main's own results (a cycle)");
        engine.WaitForLog("pong@main: not evaluated again when ping refs/clive/cells/main/ping moves");
        engine.WaitForLog("ping@main: not evaluated again when pong refs/clive/cells/main/pong moves");
        foreach (var repo in new[] { "self", "ping", "pong" }) engine.WaitIdle(repo);

        // A push still evaluates a model of a cycle: one more run, and no run after it.
        int before = engine.Runs("self")["me"];
        int evaluations = Evaluations(engine, "self@main");
        Push("self", "note.txt", "a push\n");
        engine.Wait(() => Evaluations(engine, "self@main") > evaluations, "self to evaluate the push");
        engine.WaitIdle("self");
        Assert.Equal(before + 1, engine.Runs("self")["me"]);
        Assert.Equal(1, engine.Runs("ping")["ping"]);
        Assert.Equal(1, engine.Runs("pong")["pong"]);
    }
}
