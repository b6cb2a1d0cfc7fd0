using System.Text.Json;

namespace Clive.Core.Values;

/// <summary>
/// A value type as data: the JSON the model host derives from a C# type by reflection, read here
/// without any model code so the CLI and the mount can validate an entity's JSON.
/// <c>{"root": T, "types": {"&lt;full name&gt;": {"kind":"object","members":[…]} | {"kind":"enum",…}}}</c>.
/// </summary>
public sealed class ValueSchema
{
    private ValueSchema(SchemaType root, IReadOnlyDictionary<string, TypeDefinition> types)
    {
        Root = root;
        Types = types;
    }

    public SchemaType Root { get; }

    public IReadOnlyDictionary<string, TypeDefinition> Types { get; }

    /// <summary>Reads and checks a schema: every kind known, every named type declared.</summary>
    /// <exception cref="ValueFormatException">The schema is not one; the message names where.</exception>
    public static ValueSchema Parse(string json)
    {
        if (json.Length > ValueLimits.MaxBytes) throw Invalid("$", "is larger than the limit");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = ValueLimits.MaxDepth });
        }
        catch (JsonException e)
        {
            throw Invalid("$", $"is not valid JSON ({e.Message})");
        }
        using (document)
        {
            var top = document.RootElement;
            RequireObject(top, "$");
            var types = new Dictionary<string, TypeDefinition>(StringComparer.Ordinal);
            if (top.TryGetProperty("types", out var typesElement))
            {
                RequireObject(typesElement, "$.types");
                foreach (var property in typesElement.EnumerateObject())
                {
                    var path = $"$.types[{JsonPath.Quote(property.Name)}]";
                    if (!types.TryAdd(property.Name, ReadDefinition(property.Name, property.Value, path)))
                        throw Invalid(path, "is declared twice");
                }
            }
            if (!top.TryGetProperty("root", out var rootElement)) throw Invalid("$", "has no \"root\"");
            var root = ReadType(rootElement, "$.root");
            var schema = new ValueSchema(root, types);
            schema.CheckNamesResolve();
            return schema;
        }
    }

    /// <summary>The declaration a <see cref="NamedType"/> names (checked to exist by <see cref="Parse"/>).</summary>
    public TypeDefinition Resolve(NamedType named) => Types[named.Name];

    private void CheckNamesResolve()
    {
        Check(Root, "$.root");
        foreach (var definition in Types.Values)
            if (definition is ObjectDefinition obj)
                for (var i = 0; i < obj.Members.Count; i++)
                    Check(obj.Members[i].Type, $"$.types[{JsonPath.Quote(obj.Name)}].members[{i}].type");

        void Check(SchemaType type, string path)
        {
            switch (type)
            {
                case NamedType named when !Types.ContainsKey(named.Name):
                    throw Invalid(path, $"names type '{named.Name}', which \"types\" does not declare");
                case ListType list: Check(list.Items, path + ".items"); break;
                case MapType map:
                    Check(map.Keys, path + ".keys");
                    if (map.Keys is NamedType key && Types[key.Name] is not EnumDefinition)
                        throw Invalid(path + ".keys", $"names '{key.Name}', an object; map keys are strings, integers or enums");
                    Check(map.Values, path + ".values");
                    break;
            }
        }
    }

    private static TypeDefinition ReadDefinition(string name, JsonElement element, string path)
    {
        RequireObject(element, path);
        switch (RequiredString(element, "kind", path))
        {
            case "object":
                var members = new List<MemberDefinition>();
                var names = new HashSet<string>(StringComparer.Ordinal);
                var membersElement = Required(element, "members", path);
                if (membersElement.ValueKind != JsonValueKind.Array) throw Invalid(path + ".members", "must be an array");
                var index = 0;
                foreach (var m in membersElement.EnumerateArray())
                {
                    var memberPath = $"{path}.members[{index++}]";
                    RequireObject(m, memberPath);
                    var memberName = RequiredString(m, "name", memberPath);
                    var was = m.TryGetProperty("was", out var wasElement) ? Strings(wasElement, memberPath + ".was") : [];
                    foreach (var n in was.Prepend(memberName))
                        if (!names.Add(n)) throw Invalid(memberPath, $"uses the name '{n}' another member of {name} has or had");
                    var type = ReadType(Required(m, "type", memberPath), memberPath + ".type");
                    members.Add(new MemberDefinition(memberName, type, OptionalBool(m, "nullable", memberPath) ?? false, was));
                }
                return new ObjectDefinition(name, members);
            case "enum":
                var values = Strings(Required(element, "values", path), path + ".values");
                if (values.Distinct(StringComparer.Ordinal).Count() != values.Count) throw Invalid(path + ".values", "lists a value twice");
                return new EnumDefinition(name, values, OptionalBool(element, "flags", path) ?? false);
            case var other:
                throw Invalid(path + ".kind", $"is '{other}'; a declared type is an \"object\" or an \"enum\"");
        }
    }

    private static SchemaType ReadType(JsonElement element, string path)
    {
        RequireObject(element, path);
        var nullable = OptionalBool(element, "nullable", path);
        return RequiredString(element, "kind", path) switch
        {
            "bool" => new BoolType(nullable),
            "int" => ReadInt(element, path, nullable),
            "float" => new FloatType(ReadBits(element, path, [32, 64]), nullable),
            "decimal" => new TextType(TextKind.Decimal, nullable),
            "string" => new TextType(TextKind.String, nullable),
            "datetime" => new TextType(TextKind.DateTime, nullable),
            "datetimeoffset" => new TextType(TextKind.DateTimeOffset, nullable),
            "date" => new TextType(TextKind.Date, nullable),
            "time" => new TextType(TextKind.Time, nullable),
            "timespan" => new TextType(TextKind.TimeSpan, nullable),
            "guid" => new TextType(TextKind.Guid, nullable),
            "bytes" => new BytesType(nullable),
            "list" => new ListType(ReadType(Required(element, "items", path), path + ".items"), nullable),
            "map" => ReadMap(element, path, nullable),
            "entityref" => new EntityRefType(OptionalString(element, "entityType", path), nullable),
            "cellref" => new CellRefType(OptionalString(element, "valueType", path), nullable),
            "gitref" => new GitRefType(nullable),
            "named" => new NamedType(RequiredString(element, "name", path), nullable),
            var other => throw Invalid(path + ".kind", $"is '{other}', not a kind of value clive knows"),
        };
    }

    private static IntType ReadInt(JsonElement element, string path, bool? nullable) =>
        new(ReadBits(element, path, [8, 16, 32, 64]), OptionalBool(element, "unsigned", path) ?? false, nullable);

    private static MapType ReadMap(JsonElement element, string path, bool? nullable)
    {
        var keys = ReadType(Required(element, "keys", path), path + ".keys");
        // Keys are JSON object names, so only types written as a string or an integer can be keys.
        if (keys is not (TextType or IntType or NamedType))
            throw Invalid(path + ".keys", "must be a string, integer or enum type");
        return new MapType(keys, ReadType(Required(element, "values", path), path + ".values"), nullable);
    }

    private static int ReadBits(JsonElement element, string path, int[] allowed)
    {
        var bits = Required(element, "bits", path);
        if (bits.ValueKind != JsonValueKind.Number || !bits.TryGetInt32(out var value) || !allowed.Contains(value))
            throw Invalid(path + ".bits", $"must be one of {string.Join(", ", allowed)}");
        return value;
    }

    private static List<string> Strings(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array) throw Invalid(path, "must be an array of strings");
        var list = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw Invalid(path, "must be an array of strings");
            list.Add(item.GetString()!);
        }
        return list;
    }

    private static JsonElement Required(JsonElement element, string name, string path) =>
        element.TryGetProperty(name, out var value) ? value : throw Invalid(path, $"has no \"{name}\"");

    private static string RequiredString(JsonElement element, string name, string path) =>
        OptionalString(element, name, path) ?? throw Invalid(path, $"has no \"{name}\"");

    private static string? OptionalString(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid($"{path}.{name}", "must be a string");
    }

    private static bool? OptionalBool(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid($"{path}.{name}", "must be true or false"),
        };
    }

    private static void RequireObject(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Invalid(path, "must be an object");
    }

    private static ValueFormatException Invalid(string path, string why) => new($"schema: {path} {why}");
}
