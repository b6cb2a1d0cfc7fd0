using Clive.Git;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Entities in the engine, end to end with a real `clive up`: cells that read an entity run when it
/// moves and only then; a cell that follows a reference runs when the referenced entity moves and
/// not when another one does; a loop of references is reported; a maintaining cell writes versions
/// that name it, without running itself again; and `clive why` names the entity that changed.
/// </summary>
public sealed class EntityCellTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private void PushModel(string model, params (string Path, string Content)[] files)
    {
        _sandbox.NewRepo("work", [.. files, ("clive.csx", model)]);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private string Fetched(string rev) => _sandbox.ShowFetched("work", "demo", rev);

    [Fact]
    public void SettingAnEntityRunsExactlyTheCellsThatReadIt()
    {
        PushModel("""
            record Stock(string Item, int Count);
            var stock = Cells.Entity<Stock>("stock");
            var other = Cells.Entity<Stock>("other");
            Cells.Command("show").Reads(stock, at: "stock.json").Run("cp stock.json $CLIVE_OUT/");
            Cells.Compute("count", ctx => ctx.Entity(stock)?.Count ?? -1).Reads(stock);
            Cells.Command("unrelated").Reads(other).Run("cp other.json $CLIVE_OUT/");
            Cells.Command("plain").Files("a.txt").Run("cp a.txt $CLIVE_OUT/");
            """, ("a.txt", "a\n"));
        EntityWriter.Set(_sandbox, "demo", "stock", new Dictionary<string, object?> { ["Item"] = "apple", ["Count"] = 3 });
        EntityWriter.Set(_sandbox, "demo", "other", new Dictionary<string, object?> { ["Item"] = "pear", ["Count"] = 1 });
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "show", "count", "unrelated", "plain");
        engine.WaitIdle("demo");
        var before = engine.Runs("demo");
        Assert.Contains("\"Count\": 3", Fetched("refs/clive/cells/main/show:out/stock.json"));

        EntityWriter.Set(_sandbox, "demo", "stock", new Dictionary<string, object?> { ["Item"] = "apple", ["Count"] = 4 });
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("show") == before["show"] + 1
            && engine.Runs("demo").GetValueOrDefault("count") == before["count"] + 1, "show and count to run on the new stock");
        engine.WaitIdle("demo");
        var after = engine.Runs("demo");
        Assert.Equal(before["unrelated"], after["unrelated"]);
        Assert.Equal(before["plain"], after["plain"]);
        Assert.Equal(before["show"] + 1, after["show"]);
        Assert.Equal(before["count"] + 1, after["count"]);
        // Only the readers of the entity got new keys: the other cells kept theirs without computing them again.
        engine.Wait(() => System.Text.RegularExpressions.Regex.IsMatch(engine.Log, @"4 cells evaluated in [\d.]+ ms, 2 ran, 2 keyed\n"),
            "the evaluation to key only show and count");
        Assert.Contains("\"Count\": 4", Fetched("refs/clive/cells/main/show:out/stock.json"));
        Assert.Equal("4", Fetched("refs/clive/cells/main/count:value.json").Trim());

        var why = _sandbox.Clive("why", "show").EnsureSuccess("clive why").Stdout;
        Assert.Matches("changed  entity stock: [0-9a-f]{40} -> [0-9a-f]{40}\n", why);
    }

    [Fact]
    public void ACellFollowingAReferenceRunsWhenTheReferencedEntityMovesAndNotForAnother()
    {
        PushModel("""
            record Customer(string Name);
            record Order(string Id, EntityRef<Customer> Customer);
            var order = Cells.Entity<Order>("order");
            Cells.Compute("label", ctx => { var o = ctx.Entity(order)!; return o.Id + " for " + ctx.Follow(o.Customer).Name; }).Reads(order);
            """);
        EntityWriter.Set(_sandbox, "demo", "customers/alice", new Dictionary<string, object?> { ["Name"] = "Alice" });
        EntityWriter.Set(_sandbox, "demo", "customers/bob", new Dictionary<string, object?> { ["Name"] = "Bob" });
        EntityWriter.Set(_sandbox, "demo", "order", new Dictionary<string, object?>
        {
            ["Id"] = "o1",
            ["Customer"] = new Dictionary<string, object?> { ["$entity"] = "customers/alice" },
        });
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "label");
        engine.WaitIdle("demo");
        Assert.Equal("\"o1 for Alice\"", Fetched("refs/clive/cells/main/label:value.json").Trim());

        EntityWriter.Set(_sandbox, "demo", "customers/alice", new Dictionary<string, object?> { ["Name"] = "Alicia" });
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("label") == 2, "label to run after the customer it follows changed");
        engine.WaitIdle("demo");
        var label = Fetched("refs/clive/cells/main/label:value.json").Trim();
        Assert.True(label == "\"o1 for Alicia\"", $"label is {label}; engine log:\n{engine.Log}");
        Assert.Matches("changed  follows customers/alice: [0-9a-f]{40} -> [0-9a-f]{40}\n", _sandbox.Clive("why", "label").EnsureSuccess("clive why").Stdout);

        // Bob is an entity of the repo, but label never followed him: it does not run (a push then evaluates the model, and label is cached).
        EntityWriter.Set(_sandbox, "demo", "customers/bob", new Dictionary<string, object?> { ["Name"] = "Robert" });
        _sandbox.Commit("work", "x.txt", "x\n");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), CellState.Succeeded, "label");
        engine.WaitIdle("demo");
        Assert.Equal(2, engine.Runs("demo")["label"]);
    }

    [Fact]
    public void ReferencesThatLoopAreReportedNotFollowedForever()
    {
        PushModel("""
            record Node(string Name, EntityRef<Node>? Next);
            var first = Cells.Entity<Node>("a");
            Cells.Compute("walk", ctx =>
            {
                var node = ctx.Entity(first)!;
                var names = new List<string> { node.Name };
                while (node.Next is { } next) { node = ctx.Follow(next); names.Add(node.Name); }
                return names;
            }).Reads(first);
            """);
        EntityWriter.Set(_sandbox, "demo", "a", new Dictionary<string, object?> { ["Name"] = "A", ["Next"] = new Dictionary<string, object?> { ["$entity"] = "b" } });
        EntityWriter.Set(_sandbox, "demo", "b", new Dictionary<string, object?> { ["Name"] = "B", ["Next"] = new Dictionary<string, object?> { ["$entity"] = "a" } });
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Failed, "walk");
        Assert.Contains("cell walk: references form a cycle: a -> b -> a", Fetched("refs/clive/cells/main/walk:stderr"));

        // Break the loop: b ends the chain; walk followed b, so it runs again, and succeeds.
        EntityWriter.Set(_sandbox, "demo", "b", new Dictionary<string, object?> { ["Name"] = "B", ["Next"] = null });
        engine.WaitForCells("demo", CellState.Succeeded, "walk");
        Assert.Contains("\"B\"", Fetched("refs/clive/cells/main/walk:value.json"));
    }

    [Fact]
    public void AMaintainingCellWritesVersionsThatNameItAndDoesNotRunItselfAgain()
    {
        PushModel("""
            record Tally(int Files, List<string> Names);
            var tally = Cells.Entity<Tally>("tally");
            var counter = Cells.Entity<int>("counter");
            Cells.Compute("count", ctx => { ctx.Set(tally, new Tally(ctx.Files.Count, ctx.Files.ToList())); return ctx.Files.Count; })
                .Files("data/*.txt").Maintains(tally);
            Cells.Command("report").Reads(tally, at: "t.json").Run("cp t.json $CLIVE_OUT/");
            // Reads what it writes: its own version is not a change to it.
            Cells.Compute("bump", ctx => { ctx.Set(counter, ctx.Entity(counter) + 1); return 0; }).Reads(counter).Maintains(counter);
            """, ("data/a.txt", "a\n"));
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "count", "report", "bump");
        engine.Wait(() => Fetched("refs/clive/cells/main/report:out/t.json").Contains("\"Files\": 1"), "report to read the tally count wrote");
        engine.WaitIdle("demo");

        var version = Fetched("refs/clive/entities/tally:value.json");
        var firstVersion = _sandbox.RevParse("work", "refs/clive/entities/tally");
        Assert.Contains("\"data/a.txt\"", version);
        var commit = _sandbox.GitOk("work", "log", "-1", "--format=%an%n%B", "refs/clive/entities/tally").Stdout;
        Assert.StartsWith("clive-engine\n", commit);
        Assert.Contains("\nClive-Cell: demo@main:count\n", commit);
        Assert.Matches("\nClive-Key: [0-9a-f]{64}\n", commit);

        _sandbox.Commit("work", "data/b.txt", "b\n");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        engine.Wait(() => Fetched("refs/clive/cells/main/report:out/t.json").Contains("\"Files\": 2"), "report to read the new tally");
        engine.WaitIdle("demo");
        Assert.Equal(firstVersion, _sandbox.RevParse("work", "refs/clive/entities/tally^"));

        Assert.Equal("1", Fetched("refs/clive/entities/counter:value.json").Trim());
        Assert.Equal(1, engine.Runs("demo")["bump"]);
        Assert.Equal(2, engine.Runs("demo")["count"]);
    }

    [Fact]
    public void DivergedVersionsAreMergedByTheModelsFunctionOrKeptSideBySide()
    {
        PushModel("""
            var counts = Cells.Entity<Dictionary<string, int>>("counts").Merge((ancestor, ours, theirs) =>
                MergeResult<Dictionary<string, int>>.Merged(ours.Keys.Union(theirs.Keys).ToDictionary(k => k,
                    k => ours.GetValueOrDefault(k) + theirs.GetValueOrDefault(k) - (ancestor?.GetValueOrDefault(k) ?? 0))));
            var label = Cells.Entity<string>("label");
            Cells.Compute("total", ctx => ctx.Entity(counts)!.Values.Sum()).Reads(counts);
            """);
        EntityWriter.Set(_sandbox, "demo", "counts", new Dictionary<string, object?> { ["apples"] = 1 });
        EntityWriter.Set(_sandbox, "demo", "label", "first");
        // Both changed here and in another store: +2 apples there, 5 pears here; two different labels.
        var (ours, theirs) = EntityWriter.Diverge(_sandbox, "demo", "counts",
            new Dictionary<string, object?> { ["apples"] = 1, ["pears"] = 5 }, new Dictionary<string, object?> { ["apples"] = 3 });
        var (ourLabel, theirLabel) = EntityWriter.Diverge(_sandbox, "demo", "label", "ours", "theirs");

        using var engine = new EngineProcess(_sandbox);
        engine.WaitForLog("demo: entity 'counts': merged");
        engine.WaitForLog("demo: entity 'label': diverged versions kept side by side");
        engine.Wait(() => Fetched("refs/clive/cells/main/total:value.json").Trim() == "8", "total to read the merged counts");
        Assert.Equal(new[] { ours, theirs }, _sandbox.GitOk("work", "log", "-1", "--format=%P", "refs/clive/entities/counts").Stdout.Trim().Split(' ')
            .Select(parent => ObjectId.Parse(parent)));
        Assert.Contains("\"pears\": 5", Fetched("refs/clive/entities/counts:value.json"));
        Assert.Equal(1, _sandbox.Git("work", "rev-parse", "--verify", "-q", "refs/clive/incoming/entities/counts").ExitCode);

        // No merge function: the entity stays ours, theirs is kept at the conflict ref.
        Assert.Equal(ourLabel.ToString(), _sandbox.RevParse("work", "refs/clive/entities/label"));
        Assert.Equal(theirLabel.ToString(), _sandbox.RevParse("work", "refs/clive/conflicts/entities/label"));
        // Why, in status too, not only in the engine's log.
        Assert.Contains("declares no merge function for it); merge them", _sandbox.Clive("status").Stdout);
    }
}
