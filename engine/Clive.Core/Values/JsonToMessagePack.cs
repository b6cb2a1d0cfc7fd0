using System.Buffers;
using System.Globalization;
using System.Text.Json;
using MessagePack;

namespace Clive.Core.Values;

/// <summary>
/// JSON written by a person or an editor, checked against a schema and written as the clive value
/// the model would have written: objects' members in declaration order (absent nullable members
/// as nil), scalars in their canonical text forms. Every error names the JSON path and what was expected.
/// </summary>
internal sealed class JsonToMessagePack
{
    private readonly ValueSchema _schema;

    private JsonToMessagePack(ValueSchema schema) => _schema = schema;

    public static byte[] Convert(string json, ValueSchema schema)
    {
        if (json.Length > ValueLimits.MaxBytes) throw new ValueFormatException("$: the JSON is larger than the limit");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = ValueLimits.MaxDepth });
        }
        catch (JsonException e)
        {
            throw new ValueFormatException($"$: not valid JSON: {e.Message}");
        }
        using (document)
        {
            var output = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(output);
            new JsonToMessagePack(schema).Write(ref writer, document.RootElement, schema.Root, nullable: schema.Root.Nullable ?? false, "$");
            writer.Flush();
            return output.WrittenSpan.ToArray();
        }
    }

    private void Write(ref MessagePackWriter w, JsonElement element, SchemaType type, bool nullable, string path)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            if (!nullable) throw Expected(path, type.Expected, element);
            w.WriteNil();
            return;
        }
        switch (type)
        {
            case BoolType:
                if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Expected(path, type.Expected, element);
                w.Write(element.GetBoolean());
                break;
            case IntType integer:
                WriteInteger(ref w, element, integer, path);
                break;
            case FloatType number:
                WriteFloat(ref w, element, number, path);
                break;
            case TextType text:
                w.Write(Canonical(element, text, path));
                break;
            case BytesType:
                if (element.ValueKind != JsonValueKind.String || !element.TryGetBytesFromBase64(out var bytes)) throw Expected(path, type.Expected, element);
                w.Write(bytes);
                break;
            case ListType list:
                if (element.ValueKind != JsonValueKind.Array) throw Expected(path, type.Expected, element);
                w.WriteArrayHeader(element.GetArrayLength());
                var index = 0;
                foreach (var item in element.EnumerateArray())
                    Write(ref w, item, list.Items, list.Items.Nullable ?? true, JsonPath.Index(path, index++));
                break;
            case MapType map:
                WriteMap(ref w, element, map, path);
                break;
            case EntityRefType or CellRefType or GitRefType:
                WriteReference(ref w, element, type, path);
                break;
            case NamedType named:
                switch (_schema.Resolve(named))
                {
                    case ObjectDefinition obj: WriteObject(ref w, element, obj, path); break;
                    case EnumDefinition enumeration: w.Write(EnumName(element, enumeration, path)); break;
                }
                break;
            default:
                throw new InvalidOperationException($"no writer for {type}");
        }
    }

    private void WriteInteger(ref MessagePackWriter w, JsonElement element, IntType type, string path)
    {
        if (element.ValueKind != JsonValueKind.Number) throw Expected(path, type.Expected, element);
        if (type.Unsigned && element.TryGetUInt64(out var unsigned) && Fits(type, unsigned)) w.Write(unsigned);
        else if (!type.Unsigned && element.TryGetInt64(out var signed) && Fits(type, signed)) w.Write(signed);
        else throw Expected(path, type.Expected, element);
    }

    private static bool Fits(IntType type, ulong value) => type.Bits == 64 || value <= (1UL << type.Bits) - 1;

    private static bool Fits(IntType type, long value) =>
        type.Bits == 64 || (value >= -(1L << (type.Bits - 1)) && value <= (1L << (type.Bits - 1)) - 1);

    private void WriteFloat(ref MessagePackWriter w, JsonElement element, FloatType type, string path)
    {
        double value;
        if (element.ValueKind == JsonValueKind.Number)
        {
            // 1e400 reads as Infinity; a number written in JSON must be one a double holds.
            if (!element.TryGetDouble(out value) || !double.IsFinite(value)) throw Expected(path, "a number within range", element);
        }
        else if (element.ValueKind == JsonValueKind.String && element.GetString() is "NaN" or "Infinity" or "-Infinity")
        {
            value = double.Parse(element.GetString()!, CultureInfo.InvariantCulture);
        }
        else throw Expected(path, type.Expected, element);

        if (type.Bits == 64) { w.Write(value); return; }
        var single = (float)value;
        if (float.IsInfinity(single) && !double.IsInfinity(value)) throw Expected(path, "a number within a 32-bit float's range", element);
        w.Write(single);
    }

    private string Canonical(JsonElement element, TextType type, string path)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (type.Kind == TextKind.Decimal && element.ValueKind == JsonValueKind.Number)
            return element.TryGetDecimal(out var number) ? number.ToString(invariant) : throw Expected(path, type.Expected, element);
        if (element.ValueKind != JsonValueKind.String) throw Expected(path, type.Expected, element);
        string text;
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new ValueFormatException($"{path}: the string is not valid Unicode");
        }
        return CanonicalText(text, type) ?? throw Expected(path, type.Expected, element);
    }

    /// <summary>The text form the model writes for <paramref name="type"/>, or null when the text is not one.</summary>
    private static string? CanonicalText(string text, TextType type)
    {
        var invariant = CultureInfo.InvariantCulture;
        return type.Kind switch
        {
            TextKind.String => text,
            TextKind.Decimal => decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, invariant, out var d) ? d.ToString(invariant) : null,
            TextKind.DateTime => DateTime.TryParseExact(text, "O", invariant, DateTimeStyles.RoundtripKind, out var dt) ? dt.ToString("O", invariant) : null,
            TextKind.DateTimeOffset => DateTimeOffset.TryParseExact(text, "O", invariant, DateTimeStyles.None, out var dto) ? dto.ToString("O", invariant) : null,
            TextKind.Date => DateOnly.TryParseExact(text, "yyyy-MM-dd", invariant, DateTimeStyles.None, out var date) ? date.ToString("yyyy-MM-dd", invariant) : null,
            TextKind.Time => TimeOnly.TryParseExact(text, "HH:mm:ss.FFFFFFF", invariant, DateTimeStyles.None, out var time) ? time.ToString("HH:mm:ss.FFFFFFF", invariant) : null,
            TextKind.TimeSpan => TimeSpan.TryParseExact(text, "c", invariant, out var span) ? span.ToString("c", invariant) : null,
            TextKind.Guid => Guid.TryParseExact(text, "D", out var guid) ? guid.ToString("D") : null,
            _ => null,
        };
    }

    private void WriteMap(ref MessagePackWriter w, JsonElement element, MapType map, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Expected(path, map.Expected, element);
        var properties = Properties(element, path);
        w.WriteMapHeader(properties.Count);
        foreach (var (key, value) in properties)
        {
            var memberPath = JsonPath.Member(path, key);
            w.Write(MapKey(key, map.Keys, memberPath));
            Write(ref w, value, map.Values, map.Values.Nullable ?? true, memberPath);
        }
    }

    /// <summary>Keys stay strings, as the model writes them; an int or enum key must read as one.</summary>
    private string MapKey(string key, SchemaType type, string path)
    {
        var invariant = CultureInfo.InvariantCulture;
        var canonical = type switch
        {
            IntType { Unsigned: true } integer when ulong.TryParse(key, NumberStyles.None, invariant, out var u) && Fits(integer, u) => key,
            IntType { Unsigned: false } integer when long.TryParse(key, NumberStyles.AllowLeadingSign, invariant, out var l) && Fits(integer, l) => key,
            NamedType named when _schema.Resolve(named) is EnumDefinition enumeration => EnumText(key, enumeration),
            TextType text => CanonicalText(key, text),
            _ => null,
        };
        return canonical ?? throw new ValueFormatException($"{path}: the key {JsonPath.Quote(key)} is not {type.Expected}");
    }

    private void WriteObject(ref MessagePackWriter w, JsonElement element, ObjectDefinition obj, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Expected(path, $"an object ({obj.Name})", element);
        // The reference keys are reserved: an object holding one is a reference, never a record.
        if (ReferenceKeys.Any(key => element.TryGetProperty(key, out _))) throw Expected(path, $"an object ({obj.Name})", element);
        var properties = Properties(element, path);
        var byName = new Dictionary<string, MemberDefinition>(StringComparer.Ordinal);
        foreach (var member in obj.Members)
            foreach (var name in member.Was.Prepend(member.Name))
                byName[name] = member;
        var given = new Dictionary<MemberDefinition, JsonElement>();
        foreach (var (key, value) in properties)
        {
            if (!byName.TryGetValue(key, out var member))
                throw new ValueFormatException($"{JsonPath.Member(path, key)}: {obj.Name} has no member {JsonPath.Quote(key)} (it has {string.Join(", ", obj.Members.Select(m => m.Name))})");
            if (!given.TryAdd(member, value))
                throw new ValueFormatException($"{JsonPath.Member(path, key)}: {member.Name} is given twice (under its current and a former name)");
        }
        w.WriteMapHeader(obj.Members.Count);
        foreach (var member in obj.Members)
        {
            var memberPath = JsonPath.Member(path, member.Name);
            w.Write(member.Name);
            if (given.TryGetValue(member, out var value)) Write(ref w, value, member.Type, member.Nullable, memberPath);
            else if (member.Nullable) w.WriteNil();
            else throw new ValueFormatException($"{memberPath}: missing; {obj.Name}.{member.Name} is not nullable");
        }
    }

    /// <summary>The reserved keys of stored references (the contract's <c>$entity</c>, <c>$cell</c>, <c>$ref</c>).</summary>
    public static readonly IReadOnlyList<string> ReferenceKeys = ["$entity", "$cell", "$ref"];

    private void WriteReference(ref MessagePackWriter w, JsonElement element, SchemaType type, string path)
    {
        var key = type switch { EntityRefType => "$entity", CellRefType => "$cell", _ => "$ref" };
        if (element.ValueKind != JsonValueKind.Object) throw Expected(path, type.Expected, element);
        var properties = Properties(element, path);
        if (properties.Count != 1 || properties[0].Key != key || properties[0].Value.ValueKind != JsonValueKind.String)
            throw Expected(path, type.Expected, element);
        var target = properties[0].Value.GetString()!;
        if (ReferenceProblem(key, target) is { } why)
            throw new ValueFormatException($"{path}.{key}: {JsonPath.Quote(target)} is not {why}");
        w.WriteMapHeader(1);
        w.Write(key);
        w.Write(target);
    }

    /// <summary>Why a reference's target is not of its form, or null.</summary>
    private static string? ReferenceProblem(string key, string target)
    {
        switch (key)
        {
            case "$entity":
                return Store.Entities.EntityName.IsValid(target, out var why) ? null : $"an entity name ({why})";
            case "$cell":
                int at = target.IndexOf('@');
                int colon = at < 0 ? -1 : target.IndexOf(':', at + 1);
                return at > 0 && colon > at + 1 && colon < target.Length - 1 ? null : "a cell's address (<repo>@<branch>:<cell>)";
            default:
                int split = target.IndexOf(':');
                return split > 0 && split < target.Length - 1 ? null : "a ref's address (<repo>:<refname>)";
        }
    }

    private static string EnumName(JsonElement element, EnumDefinition enumeration, string path)
    {
        var names = string.Join(", ", enumeration.Values.Take(20));
        var expected = enumeration.Flags ? $"names among {names} separated by \", \" ({enumeration.Name})" : $"one of {names} ({enumeration.Name})";
        if (element.ValueKind != JsonValueKind.String) throw Expected(path, expected, element);
        return EnumText(element.GetString()!, enumeration) ?? throw Expected(path, expected, element);
    }

    /// <summary>A member name (flags: names joined by ", ", as <c>ToString()</c> writes them), or null.</summary>
    private static string? EnumText(string text, EnumDefinition enumeration)
    {
        var parts = enumeration.Flags ? text.Split(',', StringSplitOptions.TrimEntries) : [text];
        return parts.All(p => enumeration.Values.Contains(p, StringComparer.Ordinal)) ? string.Join(", ", parts) : null;
    }

    /// <summary>An object's members, refusing a name given twice (JSON allows it; which one wins is nobody's guess).</summary>
    private static List<KeyValuePair<string, JsonElement>> Properties(JsonElement element, string path)
    {
        var list = new List<KeyValuePair<string, JsonElement>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name)) throw new ValueFormatException($"{JsonPath.Member(path, property.Name)}: given twice");
            list.Add(new(property.Name, property.Value));
        }
        return list;
    }

    private static ValueFormatException Expected(string path, string expected, JsonElement got) =>
        new($"{path}: expected {expected}, got {Describe(got)}");

    private static string Describe(JsonElement got) => got.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        JsonValueKind.String => got.GetRawText().Length > 60 ? got.GetRawText()[..60] + "…\"" : got.GetRawText(),
        _ => got.GetRawText().Length > 60 ? got.GetRawText()[..60] + "…" : got.GetRawText(),
    };
}
