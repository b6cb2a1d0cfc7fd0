using System.Text.Json;
using Clive.Core.Values;
using Clive.Engine.Values;
using Clive.Model;
using Xunit;

namespace Clive.Tests.Values;

/// <summary>
/// The clive value contract (issue 13) for model types: what ValueWriter writes, what ValueReader
/// builds back (from the same type and from later versions of it), and the schema of a type.
/// </summary>
public sealed class ModelValueTests
{
    public enum Color { Red, Green }

    [Flags]
    public enum Access { None = 0, Read = 1, Write = 2 }

    public sealed record Address(string City, string? Street);

    public sealed record Line(string Sku, int Quantity, decimal Price);

    public sealed record Order(string Id, Color Color, Address Ship, Address Bill, List<Line> Lines, Dictionary<string, int> Stock,
        string? Note, int? Priority, Access Access, DateOnly Due, Guid Key, byte[] Blob);

    private static Order Sample()
    {
        var home = new Address("Lyon", null);
        return new Order("o-1", Color.Green, home, home, [new Line("a", 2, 1.5m), new Line("b", 1, 10m)],
            new() { ["a"] = 3, ["b"] = 0 }, null, 7, Access.Read | Access.Write, new DateOnly(2026, 12, 2),
            Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), [1, 2, 3]);
    }

    private static JsonElement Json(byte[] bytes) => JsonDocument.Parse(ValueJson.FromMessagePack(bytes)).RootElement;

    [Fact]
    public void ARecordGraph_RoundTrips_AndItsJsonNamesEveryMember()
    {
        var order = Sample();
        var bytes = ValueWriter.Write(order, typeof(Order));
        var back = (Order)ValueReader.Read(bytes, typeof(Order))!;

        Assert.Equal(order.Lines, back.Lines);
        Assert.Equal(order.Stock, back.Stock);
        Assert.Equal(order with { Lines = back.Lines, Stock = back.Stock, Blob = back.Blob }, back);
        Assert.Equal(order.Blob, back.Blob);
        var json = Json(bytes);
        Assert.Equal(["Id", "Color", "Ship", "Bill", "Lines", "Stock", "Note", "Priority", "Access", "Due", "Key", "Blob"],
            json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Green", json.GetProperty("Color").GetString());
        Assert.Equal("Read, Write", json.GetProperty("Access").GetString());
        Assert.Equal("Lyon", json.GetProperty("Bill").GetProperty("City").GetString()); // the shared address, written in full twice
        Assert.Equal("1.5", json.GetProperty("Lines")[0].GetProperty("Price").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("Note").ValueKind);
        Assert.Equal("2026-12-02", json.GetProperty("Due").GetString());
        Assert.Equal("AQID", json.GetProperty("Blob").GetString());
        Assert.EndsWith("}\n", ValueJson.FromMessagePack(bytes));
    }

    [Fact]
    public void ValueJson_TurnsTheJsonBackIntoTheSameBytes_WithTheTypesSchema()
    {
        // What `clive entity set` and the mount do with an edited value.json: the contract's two halves agree.
        var bytes = ValueWriter.Write(Sample(), typeof(Order));
        Assert.Equal(bytes, ValueJson.ToMessagePack(ValueJson.FromMessagePack(bytes), ValueSchemas.Of(typeof(Order))));
    }

    [Fact]
    public void FrameworkValues_AreWrittenAsPlainJson()
    {
        Assert.Equal("[\n  1,\n  2\n]\n", ValueJson.FromMessagePack(ValueWriter.Write(new List<int> { 1, 2 }, typeof(List<int>))));
        Assert.Equal("{\n  \"1\": \"one\"\n}\n", ValueJson.FromMessagePack(ValueWriter.Write(new Dictionary<int, string> { [1] = "one" }, typeof(object))));
        Assert.Equal(new Dictionary<int, string> { [1] = "one" },
            ValueReader.Read(ValueWriter.Write(new Dictionary<int, string> { [1] = "one" }, typeof(object)), typeof(Dictionary<int, string>)));
        var any = (Dictionary<string, object?>)ValueReader.Read(ValueWriter.Write(new { n = 1, s = "x", l = new[] { true } }, typeof(object)), typeof(object))!;
        Assert.Equal(1L, any["n"]);
        Assert.Equal([true], (List<object?>)any["l"]!);
        var set = Assert.IsType<HashSet<string>>(ValueReader.Read(ValueWriter.Write(new[] { "a" }, typeof(string[])), typeof(ISet<string>)));
        Assert.Equal(["a"], set.Order());
    }

    public sealed class Node
    {
        public string Name { get; init; } = "";
        public List<Node> Children { get; } = [];
        public Node? Parent { get; set; }
    }

    [Fact]
    public void ACycle_IsRefusedNamingItsPath()
    {
        var root = new Node { Name = "root" };
        var child = new Node { Name = "child", Parent = root };
        root.Children.Add(new Node { Name = "first" });
        root.Children.Add(child);
        var error = Assert.Throws<ValueException>(() => ValueWriter.Write(root, typeof(Node)));
        Assert.StartsWith("$.Children[1].Parent: the value refers back to a ModelValueTests.Node that contains it (a cycle)", error.Message);
    }

    public sealed record WithFunction(string Name, Func<int> Compute);

    [Fact]
    public void AnUnsupportedMember_IsRefusedNamingItsPathAndType()
    {
        var error = Assert.Throws<ValueException>(() => ValueWriter.Write(new List<object> { new WithFunction("f", () => 1) }, typeof(object)));
        Assert.Equal("$[0].Compute: a Func<int> cannot be stored: a function is not a value", error.Message);
        var stream = Assert.Throws<ValueException>(() => ValueWriter.Write(new Dictionary<string, object> { ["s"] = new MemoryStream() }, typeof(object)));
        Assert.Equal("$.s: a MemoryStream cannot be stored: a stream is not a value; return its bytes", stream.Message);
    }

    [Fact]
    public void TooDeepAValue_IsRefused()
    {
        object deep = 1;
        for (var i = 0; i < 70; i++) deep = new List<object> { deep };
        Assert.Contains("nests deeper than 64 levels", Assert.Throws<ValueException>(() => ValueWriter.Write(deep, typeof(object))).Message);
    }

    // Version 1 of a type, and version 2: Email added, Legacy removed, Qty renamed to Quantity.
    public sealed record CustomerV1(string Name, int Qty, string Legacy);

    public sealed record CustomerV2(string Name, [Was("Qty")] int Quantity, string Email = "none@example.com");

    public sealed class CustomerAsClass
    {
        public string Name { get; set; } = "";
        [Was("Qty")] public int Quantity;
        public int Computed => Quantity * 2;
    }

    public sealed record CustomerTypeChanged(string Name, int Legacy);

    public sealed record CustomerNoLongerNullable(string Name, Address Ship);

    [Fact]
    public void ALaterVersionOfAType_ReadsWhatItCan()
    {
        var stored = ValueWriter.Write(new CustomerV1("Ada", 3, "old"), typeof(CustomerV1));

        Assert.Equal(new CustomerV2("Ada", 3), ValueReader.Read(stored, typeof(CustomerV2)));
        var asClass = (CustomerAsClass)ValueReader.Read(stored, typeof(CustomerAsClass))!;
        Assert.Equal(("Ada", 3, 6), (asClass.Name, asClass.Quantity, asClass.Computed));
    }

    [Fact]
    public void ALaterVersionOfAType_SaysWhereItCannotRead()
    {
        var stored = ValueWriter.Write(new List<CustomerV1> { new("Ada", 3, "old") }, typeof(List<CustomerV1>));
        var error = Assert.Throws<ValueException>(() => ValueReader.Read(stored, typeof(List<CustomerTypeChanged>)));
        Assert.Equal("$[0].Legacy: the stored value is a string (\"old\"), which cannot become int", error.Message);

        var withNull = ValueWriter.Write(new { Name = "Ada", Ship = (Address?)null }, typeof(object));
        var nullError = Assert.Throws<ValueException>(() => ValueReader.Read(withNull, typeof(CustomerNoLongerNullable)));
        Assert.Equal("$.Ship: the stored value is null, which cannot become ModelValueTests.Address (make it ModelValueTests.Address? to allow null)", nullError.Message);

        var overflow = Assert.Throws<ValueException>(() => ValueReader.Read(ValueWriter.Write(300, typeof(int)), typeof(byte)));
        Assert.Equal("$: the stored integer 300 does not fit in byte", overflow.Message);
        var color = Assert.Throws<ValueException>(() => ValueReader.Read(ValueWriter.Write("Blue", typeof(string)), typeof(Color)));
        Assert.Equal("$: the stored value \"Blue\" is not a member of ModelValueTests.Color (Red, Green)", color.Message);
    }

    [Fact]
    public void TheSchemaOfAType_DescribesItsMembers_Nullability_FormerNames_AndEnums()
    {
        using var schema = JsonDocument.Parse(ValueSchemas.Of(typeof(List<CustomerV2>)));
        var root = schema.RootElement.GetProperty("root");
        Assert.Equal("list", root.GetProperty("kind").GetString());
        Assert.Equal("Clive.Tests.Values.ModelValueTests+CustomerV2", root.GetProperty("items").GetProperty("name").GetString());
        var members = schema.RootElement.GetProperty("types").GetProperty("Clive.Tests.Values.ModelValueTests+CustomerV2").GetProperty("members");
        Assert.Equal("Quantity", members[1].GetProperty("name").GetString());
        Assert.Equal("""{"kind":"int","bits":32,"unsigned":false}""", members[1].GetProperty("type").GetRawText());
        Assert.Equal(["Qty"], members[1].GetProperty("was").EnumerateArray().Select(e => e.GetString()));

        using var order = JsonDocument.Parse(ValueSchemas.Of(typeof(Order)));
        var types = order.RootElement.GetProperty("types");
        Assert.Equal("""{"kind":"enum","values":["Red","Green"],"flags":false}""", types.GetProperty("Clive.Tests.Values.ModelValueTests+Color").GetRawText());
        var orderMembers = types.GetProperty("Clive.Tests.Values.ModelValueTests+Order").GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.False(orderMembers["Id"].GetProperty("nullable").GetBoolean());
        Assert.True(orderMembers["Note"].GetProperty("nullable").GetBoolean());
        Assert.True(orderMembers["Priority"].GetProperty("nullable").GetBoolean());
        Assert.Equal("""{"kind":"map","keys":{"kind":"string"},"values":{"kind":"int","bits":32,"unsigned":false}}""", orderMembers["Stock"].GetProperty("type").GetRawText());
        Assert.True(types.GetProperty("Clive.Tests.Values.ModelValueTests+Access").GetProperty("flags").GetBoolean());
    }

    public sealed record Links(EntityRef<Address> Home, CellRef<decimal> Total, GitRef Source);

    [Fact]
    public void LiveReferences_RoundTrip_AsTheirReservedKeys_WithTheirSchemas()
    {
        var links = new Links(new EntityRef<Address>("addresses/home"), new CellRef<decimal>("shop@main:orders/total"), new GitRef("catalog", "refs/heads/main"));
        var bytes = ValueWriter.Write(links, typeof(Links));
        var json = Json(bytes);
        Assert.Equal("addresses/home", json.GetProperty("Home").GetProperty("$entity").GetString());
        Assert.Equal("shop@main:orders/total", json.GetProperty("Total").GetProperty("$cell").GetString());
        Assert.Equal("catalog:refs/heads/main", json.GetProperty("Source").GetProperty("$ref").GetString());
        var back = (Links)ValueReader.Read(bytes, typeof(Links))!;
        Assert.Equal(links, back);
        Assert.Equal(("shop", "main", "orders/total"), (back.Total.Repo, back.Total.Branch, back.Total.Cell));

        var schema = ValueSchemas.Of(typeof(Links));
        Assert.Equal(bytes, ValueJson.ToMessagePack(ValueJson.FromMessagePack(bytes), schema));
        using var document = JsonDocument.Parse(schema);
        var members = document.RootElement.GetProperty("types").GetProperty("Clive.Tests.Values.ModelValueTests+Links").GetProperty("members");
        Assert.Equal("""{"kind":"cellref","valueType":"System.Decimal"}""", members[1].GetProperty("type").GetRawText());
        Assert.Equal("""{"kind":"gitref"}""", members[2].GetProperty("type").GetRawText());
    }

    [Fact]
    public void AReferenceToACellOfTheModel_IsStoredOnlyWhileOneOfItsCellsRuns_WithThatCellsRepoAndBranch()
    {
        var total = Cells.Compute("total", _ => 1m, "/clive.csx", 1).Ref<decimal>();
        var error = Assert.Throws<ValueException>(() => ValueWriter.Write(total, typeof(CellRef<decimal>)));
        Assert.Contains("has no repo until a cell of the model runs", error.Message);
        using (LiveReferences.RunningAs("shop@dev:report"))
            Assert.Equal("shop@dev:total", Json(ValueWriter.Write(total, typeof(CellRef<decimal>))).GetProperty("$cell").GetString());
    }

    [Fact]
    public void AStoredReferenceThatIsNotAnAddress_IsRefusedNamingItsPath()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePack.MessagePackWriter(buffer);
        writer.WriteMapHeader(1);
        writer.Write("$cell");
        writer.Write("no-at-sign");
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        var error = Assert.Throws<ValueException>(() => ValueReader.Read(bytes, typeof(CellRef<int>)));
        Assert.Equal("$: 'no-at-sign' is not a cell's address (<repo>@<branch>:<cell>)", error.Message);
    }
}
