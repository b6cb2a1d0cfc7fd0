using System.Text.Json;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Compute cells returning the model's own types, end to end: real pushes, a real `clive up`, the
/// value read by another cell and fetched by git as value.json; a later model version reading the
/// value an earlier one stored, through a changed type.
/// </summary>
public sealed class EngineValueTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private const string Types = """
        public enum Status { Open, Shipped }
        public record Address(string City, string? Street);
        public record Line(string Sku, int Quantity, decimal Price);
        public record Order(string Id, Status Status, Address Ship, Address Bill, List<Line> Lines, Dictionary<string, int> Stock, string? Note, int? Priority);

        """;

    private const string Producer = """
        var orders = Cells.Compute("orders", ctx =>
        {
            var home = new Address("Lyon", null);
            var lines = ctx.ReadText("orders.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' '))
                .Select(p => new Line(p[0], int.Parse(p[1]), decimal.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture))).ToList();
            return new Order("o-1", Status.Shipped, home, home, lines, new() { ["a"] = 3 }, null, 2);
        }).Files("orders.txt");

        """;

    private void Push(string model)
    {
        _sandbox.Commit("work", "clive.csx", model);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private JsonElement FetchedValue(string cell)
    {
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "+refs/clive/*:refs/clive/*");
        return JsonDocument.Parse(_sandbox.GitOk("work", "show", $"refs/clive/cells/main/{cell}:value.json").Stdout).RootElement.Clone();
    }

    [Fact]
    public void ACellReturnsARecordGraph_AnotherReadsIt_AndGitFetchesItAsReadableJson()
    {
        const string reader = """
            Cells.Compute("summary", ctx =>
            {
                var o = ctx.Value<Order>("orders")!;
                return $"{o.Id} {o.Status} {o.Ship.City} {o.Lines.Sum(l => l.Quantity * l.Price)} {o.Stock["a"]} {o.Note ?? "no note"} {o.Priority}";
            }).From(orders);
            """;
        _sandbox.NewRepo("work", ("orders.txt", "a 2 1.5\nb 1 10\n"));
        Push(Types + Producer + reader);
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "orders", "summary");

        var order = FetchedValue("orders");
        Assert.Equal("Shipped", order.GetProperty("Status").GetString());
        Assert.Equal("Lyon", order.GetProperty("Bill").GetProperty("City").GetString()); // shared with Ship, written in full both times
        Assert.Equal(JsonValueKind.Null, order.GetProperty("Ship").GetProperty("Street").ValueKind);
        Assert.Equal(["a", "b"], order.GetProperty("Lines").EnumerateArray().Select(l => l.GetProperty("Sku").GetString()));
        Assert.Equal(2, order.GetProperty("Lines")[0].GetProperty("Quantity").GetInt32());
        Assert.Equal("1.5", order.GetProperty("Lines")[0].GetProperty("Price").GetString());
        Assert.Equal(3, order.GetProperty("Stock").GetProperty("a").GetInt32());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("Note").ValueKind);
        Assert.Equal(2, order.GetProperty("Priority").GetInt32());
        Assert.Equal("o-1 Shipped Lyon 13.0 3 no note 2", FetchedValue("summary").GetString());
    }

    [Fact]
    public void ALaterModelReadsAnEarlierStoredValueThroughAChangedType_AndSaysWhereItCannot()
    {
        _sandbox.NewRepo("work", ("orders.txt", "a 2 1.5\nb 1 10\n"));
        Push(Types + Producer);
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "orders");

        // Version 2 keeps the producer as it was (its stored value is reused, not recomputed) and
        // reads that value through types of its own: Channel added, most members gone, Lines renamed Items.
        const string readers = """
            public record LineView(string Sku, int Quantity);
            public record OrderView(string Id, [Was("Lines")] List<LineView> Items, string Channel = "web");
            public record Renumbered(int Id);
            Cells.Compute("view", ctx => { var v = ctx.Value<OrderView>("orders")!; return $"{v.Id} {v.Channel} {string.Join(",", v.Items.Select(i => i.Sku + i.Quantity))}"; }).From(orders);
            Cells.Compute("broken", ctx => ctx.Value<Renumbered>("orders")!.Id).From(orders);
            """;
        Push(Types + Producer + readers);
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), CellState.Succeeded, "view");
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), CellState.Failed, "broken");
        Assert.Equal(1, engine.Runs("demo")["orders"]);

        Assert.Equal("o-1 web a2,b1", FetchedValue("view").GetString());
        var logs = _sandbox.Clive("logs", "broken");
        Assert.Contains("cell broken: the value of 'orders' does not load as Renumbered: $.Id: the stored value is a string (\"o-1\"), which cannot become int", logs.Stdout + logs.Stderr);
    }
}
