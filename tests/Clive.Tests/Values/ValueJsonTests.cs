using System.Buffers;
using Clive.Core.Values;
using MessagePack;
using Xunit;

namespace Clive.Tests.Values;

/// <summary>value.msgpack ⇄ value.json: every kind both ways, and the errors that name the path.</summary>
public sealed class ValueJsonTests
{
    private const string OrderSchema = """
        {"root": {"kind":"named","name":"Shop.Order"},
         "types": {
           "Shop.Order": {"kind":"object","members":[
             {"name":"Id","type":{"kind":"guid"},"nullable":false},
             {"name":"Paid","type":{"kind":"bool"},"nullable":false},
             {"name":"Count","type":{"kind":"int","bits":32,"unsigned":false},"nullable":false,"was":["Qty"]},
             {"name":"Small","type":{"kind":"int","bits":8,"unsigned":true},"nullable":true},
             {"name":"Big","type":{"kind":"int","bits":64,"unsigned":true},"nullable":false},
             {"name":"Ratio","type":{"kind":"float","bits":32},"nullable":false},
             {"name":"Weight","type":{"kind":"float","bits":64},"nullable":false},
             {"name":"Price","type":{"kind":"decimal"},"nullable":false},
             {"name":"Note","type":{"kind":"string"},"nullable":true},
             {"name":"Blob","type":{"kind":"bytes"},"nullable":false},
             {"name":"At","type":{"kind":"datetime"},"nullable":false},
             {"name":"AtOffset","type":{"kind":"datetimeoffset"},"nullable":false},
             {"name":"Day","type":{"kind":"date"},"nullable":false},
             {"name":"Time","type":{"kind":"time"},"nullable":false},
             {"name":"Took","type":{"kind":"timespan"},"nullable":false},
             {"name":"Color","type":{"kind":"named","name":"Shop.Color"},"nullable":false},
             {"name":"Style","type":{"kind":"named","name":"Shop.Style"},"nullable":false},
             {"name":"Items","type":{"kind":"list","items":{"kind":"named","name":"Shop.Item"}},"nullable":false},
             {"name":"ByColor","type":{"kind":"map","keys":{"kind":"named","name":"Shop.Color"},"values":{"kind":"int","bits":32}},"nullable":false},
             {"name":"ById","type":{"kind":"map","keys":{"kind":"int","bits":16},"values":{"kind":"string"}},"nullable":false},
             {"name":"Customer","type":{"kind":"entityref","entityType":"Shop.Customer"},"nullable":true},
             {"name":"Total","type":{"kind":"cellref","valueType":"System.Decimal"},"nullable":false},
             {"name":"Source","type":{"kind":"gitref"},"nullable":false},
             {"name":"Parent","type":{"kind":"named","name":"Shop.Order"},"nullable":true}]},
           "Shop.Item": {"kind":"object","members":[
             {"name":"Sku","type":{"kind":"string"},"nullable":false},
             {"name":"Quantity","type":{"kind":"int","bits":32},"nullable":false}]},
           "Shop.Color": {"kind":"enum","values":["Red","Green"],"flags":false},
           "Shop.Style": {"kind":"enum","values":["Bold","Italic"],"flags":true}}}
        """;

    private const string Order = """
        {
          "Id": "0f8fad5b-d9cb-469f-a165-70867728950e",
          "Paid": true,
          "Count": -3,
          "Small": 255,
          "Big": 18446744073709551615,
          "Ratio": 0.5,
          "Weight": 1.25,
          "Price": "10.50",
          "Note": "naïve \"quoted\"",
          "Blob": "AAEC",
          "At": "2024-05-01T12:00:00.0000000Z",
          "AtOffset": "2024-05-01T12:00:00.0000000+02:00",
          "Day": "2024-05-01",
          "Time": "13:45:30.5",
          "Took": "1.02:03:04.5000000",
          "Color": "Green",
          "Style": "Bold, Italic",
          "Items": [
            {
              "Sku": "A-1",
              "Quantity": 2
            }
          ],
          "ByColor": {
            "Red": 1
          },
          "ById": {
            "-7": "seven"
          },
          "Customer": {
            "$entity": "customers/ada"
          },
          "Total": {
            "$cell": "shop@main:orders/total"
          },
          "Source": {
            "$ref": "catalog:refs/heads/main"
          },
          "Parent": null
        }

        """;

    [Fact]
    public void EveryKind_RoundTripsThroughMessagePack()
    {
        var msgpack = ValueJson.ToMessagePack(Order, OrderSchema);
        Assert.Equal(Order.ReplaceLineEndings("\n"), ValueJson.FromMessagePack(msgpack));
    }

    [Fact]
    public void Members_AreWrittenInDeclarationOrder_WithAbsentNullablesAsNil()
    {
        var json = Order.Replace("\"Note\": \"naïve \\\"quoted\\\"\",", "").Replace("\"Parent\": null", "\"Parent\": null").Replace("\"Small\": 255,", "");
        var back = ValueJson.FromMessagePack(ValueJson.ToMessagePack(json, OrderSchema));
        Assert.Contains("\"Small\": null,\n  \"Big\"", back);
        Assert.Contains("\"Note\": null,\n  \"Blob\"", back);
    }

    [Fact]
    public void FormerMemberName_ReadsIntoTheNewOne()
    {
        var back = ValueJson.FromMessagePack(ValueJson.ToMessagePack(Order.Replace("\"Count\"", "\"Qty\""), OrderSchema));
        Assert.Contains("\"Count\": -3", back);
    }

    [Fact]
    public void CanonicalForms_AreWhatTheModelWrites()
    {
        var json = Order.Replace("\"10.50\"", "10.50").Replace("\"Bold, Italic\"", "\"Italic,Bold\"");
        var back = ValueJson.FromMessagePack(ValueJson.ToMessagePack(json, OrderSchema));
        Assert.Contains("\"Price\": \"10.50\"", back);
        Assert.Contains("\"Style\": \"Italic, Bold\"", back);
    }

    [Theory]
    [InlineData("\"Count\": -3", "\"Count\": \"ten\"", "$.Count: expected a 32-bit integer, got \"ten\"")]
    [InlineData("\"Count\": -3", "\"Count\": 2147483648", "$.Count: expected a 32-bit integer, got 2147483648")]
    [InlineData("\"Count\": -3", "\"Count\": 1.5", "$.Count: expected a 32-bit integer, got 1.5")]
    [InlineData("\"Small\": 255", "\"Small\": 256", "$.Small: expected an unsigned 8-bit integer, got 256")]
    [InlineData("\"Big\": 18446744073709551615", "\"Big\": 18446744073709551616", "$.Big: expected an unsigned 64-bit integer, got 18446744073709551616")]
    [InlineData("\"Big\": 18446744073709551615", "\"Big\": 1e99999", "$.Big: expected an unsigned 64-bit integer, got 1e99999")]
    [InlineData("\"Weight\": 1.25", "\"Weight\": 1e400", "$.Weight: expected a number within range, got 1e400")]
    [InlineData("\"Ratio\": 0.5", "\"Ratio\": 1e300", "$.Ratio: expected a number within a 32-bit float's range, got 1e300")]
    [InlineData("\"Paid\": true", "\"Paid\": null", "$.Paid: expected true or false, got null")]
    [InlineData("\"Day\": \"2024-05-01\"", "\"Day\": \"2024-13-01\"", "$.Day: expected a date (yyyy-MM-dd), got \"2024-13-01\"")]
    [InlineData("\"Color\": \"Green\"", "\"Color\": \"Blue\"", "$.Color: expected one of Red, Green (Shop.Color), got \"Blue\"")]
    [InlineData("\"Color\": \"Green\"", "\"Color\": 1", "$.Color: expected one of Red, Green (Shop.Color), got 1")]
    [InlineData("\"Sku\": \"A-1\"", "\"Sku\": \"A-1\", \"Colour\": 1", "$.Items[0].Colour: Shop.Item has no member \"Colour\" (it has Sku, Quantity)")]
    [InlineData("\"Sku\": \"A-1\",", "", "$.Items[0].Sku: missing; Shop.Item.Sku is not nullable")]
    [InlineData("\"Sku\": \"A-1\"", "\"Sku\": \"A-1\", \"Sku\": \"B\"", "$.Items[0].Sku: given twice")]
    [InlineData("\"Count\": -3", "\"Count\": -3, \"Qty\": 4", "$.Qty: Count is given twice (under its current and a former name)")]
    [InlineData("\"Red\": 1", "\"Blue\": 1", "$.ByColor.Blue: the key \"Blue\" is not a Shop.Color")]
    [InlineData("\"-7\": \"seven\"", "\"70000\": \"seven\"", "$.ById[\"70000\"]: the key \"70000\" is not a 16-bit integer")]
    [InlineData("\"customers/ada\"", "\"../etc/passwd\"", "$.Customer.$entity: \"../etc/passwd\" is not an entity name (a component starts with '.')")]
    [InlineData("\"$entity\": \"customers/ada\"", "\"$entity\": \"a\", \"x\": 1", "$.Customer: expected an entity reference ({\"$entity\": \"<name>\"}), got an object")]
    [InlineData("\"Parent\": null", "\"Parent\": {\"$entity\": \"x\"}", "$.Parent: expected an object (Shop.Order), got an object")]
    [InlineData("\"Parent\": null", "\"Parent\": {\"$cell\": \"x@main:y\"}", "$.Parent: expected an object (Shop.Order), got an object")]
    [InlineData("\"Parent\": null", "\"Parent\": {\"$ref\": \"x:main\"}", "$.Parent: expected an object (Shop.Order), got an object")]
    [InlineData("\"shop@main:orders/total\"", "\"shop:orders/total\"", "$.Total.$cell: \"shop:orders/total\" is not a cell's address (<repo>@<branch>:<cell>)")]
    [InlineData("\"$cell\": \"shop@main:orders/total\"", "\"$entity\": \"total\"", "$.Total: expected a cell reference ({\"$cell\": \"<repo>@<branch>:<cell>\"}), got an object")]
    [InlineData("\"catalog:refs/heads/main\"", "\"catalog\"", "$.Source.$ref: \"catalog\" is not a ref's address (<repo>:<refname>)")]
    [InlineData("\"Blob\": \"AAEC\"", "\"Blob\": \"not base64!\"", "$.Blob: expected a base64 string, got \"not base64!\"")]
    [InlineData("\"Paid\": true", "\"Paid\": [true]", "$.Paid: expected true or false, got an array")]
    public void BadJson_IsRefused_NamingThePath(string find, string replace, string message)
    {
        Assert.Contains(find, Order);
        var error = Assert.Throws<ValueFormatException>(() => ValueJson.ToMessagePack(Order.Replace(find, replace), OrderSchema));
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("{\"a\": 1,}")]
    [InlineData("{\"a\": 1} {}")]
    [InlineData("// comment\n1")]
    [InlineData("")]
    public void JsonThatDoesNotParse_IsRefused(string json)
    {
        var error = Assert.Throws<ValueFormatException>(() => ValueJson.ToMessagePack(json, OrderSchema));
        Assert.StartsWith("$: not valid JSON", error.Message);
    }

    [Fact]
    public void WrongRoot_IsRefused()
    {
        var error = Assert.Throws<ValueFormatException>(() => ValueJson.ToMessagePack("7", """{"root": {"kind":"list","items":{"kind":"string"}}}"""));
        Assert.Equal("$: expected an array, got 7", error.Message);
    }

    [Fact]
    public void DeepJson_IsRefusedWithoutRecursingIntoIt()
    {
        const string listSchema = """{"root": {"kind":"list","items":{"kind":"list","items":{"kind":"int","bits":32}}}}""";
        var deep = new string('[', 100_000) + new string(']', 100_000);
        var error = Assert.Throws<ValueFormatException>(() => ValueJson.ToMessagePack(deep, listSchema));
        Assert.Contains("depth", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void NonFiniteFloats_TravelAsStrings()
    {
        var msgpack = Pack((ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write(double.NaN); w.Write(float.PositiveInfinity); w.Write(double.NegativeInfinity); });
        var json = ValueJson.FromMessagePack(msgpack);
        Assert.Equal("[\n  \"NaN\",\n  \"Infinity\",\n  \"-Infinity\"\n]\n", json);
        var back = ValueJson.ToMessagePack(json, """{"root": {"kind":"list","items":{"kind":"float","bits":64}}}""");
        Assert.Equal(json, ValueJson.FromMessagePack(back));
    }

    [Fact]
    public void AnyValue_ReadsAsJsonWithoutItsType()
    {
        var msgpack = Pack((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(5);
            w.Write(7); w.Write(ulong.MaxValue);
            w.Write("f"); w.Write(0.1f);
            w.Write("bin"); w.Write(new byte[] { 0, 1, 2 });
            w.Write("nil"); w.WriteNil();
            w.Write("list"); w.WriteArrayHeader(2); w.Write(true); w.Write("é\n");
        });
        Assert.Equal("""
            {
              "7": 18446744073709551615,
              "f": 0.1,
              "bin": "AAEC",
              "nil": null,
              "list": [
                true,
                "é\n"
              ]
            }

            """.ReplaceLineEndings("\n"), ValueJson.FromMessagePack(msgpack));
    }

    public static TheoryData<string, byte[]> HostileMessagePack => new()
    {
        { "nests deeper than 64", Pack((ref MessagePackWriter w) => { for (var i = 0; i < 100_000; i++) w.WriteArrayHeader(1); w.WriteNil(); }) },
        { "not a valid value", Pack((ref MessagePackWriter w) => w.WriteArrayHeader(uint.MaxValue)) },
        { "not a valid value", Pack((ref MessagePackWriter w) => w.WriteMapHeader(1)) },
        { "not a valid value", [0xdb, 0xff, 0xff, 0xff, 0xff, 0x41] },
        { "not a valid value", [0xa3, 0xff, 0xfe, 0xfd] },
        { "bytes follow the value", [0xc0, 0xc0] },
        { "extension", Pack((ref MessagePackWriter w) => w.WriteExtensionFormat(new ExtensionResult(5, new byte[] { 1 }))) },
        { "has the key \"a\" twice", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(2); w.Write("a"); w.Write(1); w.Write("a"); w.Write(2); }) },
        { "neither a string nor an integer", Pack((ref MessagePackWriter w) => { w.WriteMapHeader(1); w.Write(true); w.Write(1); }) },
        { "not a valid value", [] },
    };

    [Theory]
    [MemberData(nameof(HostileMessagePack))]
    public void HostileMessagePack_IsRefused(string why, byte[] msgpack)
    {
        var error = Assert.Throws<ValueFormatException>(() => ValueJson.FromMessagePack(msgpack));
        Assert.Contains(why, error.Message);
    }

    [Theory]
    [InlineData("""{"root": {"kind":"quaternion"}}""", "schema: $.root.kind is 'quaternion', not a kind of value clive knows")]
    [InlineData("""{"root": {"kind":"named","name":"Missing"}}""", "schema: $.root names type 'Missing', which \"types\" does not declare")]
    [InlineData("""{"root": {"kind":"int","bits":12}}""", "schema: $.root.bits must be one of 8, 16, 32, 64")]
    [InlineData("""{"types": {}}""", "schema: $ has no \"root\"")]
    [InlineData("""{"root": {"kind":"map","keys":{"kind":"list","items":{"kind":"bool"}},"values":{"kind":"bool"}}}""", "schema: $.root.keys must be a string, integer or enum type")]
    [InlineData("""{"root": {"kind":"named","name":"T"}, "types": {"T": {"kind":"object","members":[{"name":"A","type":{"kind":"bool"}},{"name":"B","type":{"kind":"bool"},"was":["A"]}]}}}""", "schema: $.types[\"T\"].members[1] uses the name 'A' another member of T has or had")]
    [InlineData("[]", "schema: $ must be an object")]
    public void BadSchema_IsRefused(string schema, string message)
    {
        var error = Assert.Throws<ValueFormatException>(() => ValueSchema.Parse(schema));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void RecursiveSchema_Parses()
    {
        var schema = ValueSchema.Parse(OrderSchema);
        var order = Assert.IsType<ObjectDefinition>(schema.Types["Shop.Order"]);
        Assert.Equal(["Qty"], order.Members.Single(m => m.Name == "Count").Was);
        Assert.Equal(new NamedType("Shop.Order", null), order.Members.Single(m => m.Name == "Parent").Type);
    }

    private delegate void Writing(ref MessagePackWriter writer);

    private static byte[] Pack(Writing write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
