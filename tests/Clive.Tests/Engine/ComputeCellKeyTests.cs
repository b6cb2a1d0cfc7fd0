using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// A compute cell's key covers what its function can reach in the scripts (found by Roslyn's
/// semantic model), not the whole script: run twice, cache hit for an edit it cannot see, miss for one it can.
/// </summary>
public sealed class ComputeCellKeyTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private const string Helpers = """
        // Shared helpers: Label reaches Twice through Scale, and reads the variable factor.
        var factor = 2;
        int Twice(int x) => x * factor;
        string Label(int n) => $"n={Scale(n)}";
        int Scale(int n) => Twice(n) + 1;
        """;

    private const string Model = """
        #load "lib/helpers.csx"
        Cells.Compute("label", ctx => Label(ctx.ReadText("n.txt").Trim().Length)).Files("n.txt");
        Cells.Compute("plain", ctx => 42);
        Cells.Command("copy").Files("n.txt").Run("cp n.txt $CLIVE_OUT/");
        """;

    private void Push(string path, string content)
    {
        _sandbox.Commit("work", path, content);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private Dictionary<string, int> RunsAfterPush(EngineProcess engine, string path, string content)
    {
        var before = engine.Runs("demo");
        Push(path, content);
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), CellState.Succeeded, "label", "plain", "copy");
        engine.WaitIdle("demo");
        var after = engine.Runs("demo");
        return after.Where(a => a.Value != before.GetValueOrDefault(a.Key)).ToDictionary(a => a.Key, a => a.Value - before.GetValueOrDefault(a.Key));
    }

    [Fact]
    public void AnEditTheFunctionCannotReachLeavesItCached_AnEditToAHelperItCallsRunsIt()
    {
        _sandbox.NewRepo("work", ("n.txt", "abc\n"), ("lib/helpers.csx", Helpers), ("clive.csx", Model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "label", "plain", "copy");
        engine.WaitIdle("demo");

        // Unrelated: a new variable, a new helper, another cell's command.
        Assert.Empty(RunsAfterPush(engine, "clive.csx", Model + "var unused = 42;\nint Unused() => 7;\n"));
        Assert.Equal(new Dictionary<string, int> { ["copy"] = 1 },
            RunsAfterPush(engine, "clive.csx", (Model + "var unused = 42;\nint Unused() => 7;\n").Replace("$CLIVE_OUT/", "$CLIVE_OUT/n.copy")));

        // Reached only through Label → Scale → Twice: each edit re-runs label, and nothing else.
        Assert.Equal(new Dictionary<string, int> { ["label"] = 1 }, RunsAfterPush(engine, "lib/helpers.csx", Helpers.Replace("x * factor", "x * factor * 1")));
        Assert.Equal(new Dictionary<string, int> { ["label"] = 1 }, RunsAfterPush(engine, "lib/helpers.csx", Helpers.Replace("x * factor", "x * factor * 1")
            .Replace("var factor = 2;", "var factor = 3;")));
    }
}
