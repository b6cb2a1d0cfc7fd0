using System.Text;
using System.Text.Json;

namespace Clive.Engine.Values;

/// <summary>
/// A C# type as data (issue 13's schema JSON), for code that validates values without the model:
/// <c>{"root": T, "types": {"Shop.Order": {"kind":"object","members":[…]}, "Shop.Color": {"kind":"enum",…}}}</c>.
/// Objects and enums are always referred to by name (<c>{"kind":"named","name":…}</c>), so a type that contains itself is described once.
/// </summary>
public static class ValueSchemas
{
    public static string Of(Type type)
    {
        using var text = new MemoryStream();
        using (var json = new Utf8JsonWriter(text))
        {
            var named = new SortedDictionary<string, Type>(StringComparer.Ordinal);
            var pending = new Queue<Type>();
            json.WriteStartObject();
            json.WritePropertyName("root");
            WriteType(json, type, named, pending);
            json.WriteStartObject("types");
            // Each named type is queued once (named), described, then written in name order.
            var bodies = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            while (pending.TryDequeue(out var next))
            {
                bodies[TypeNames.Schema(next)] = Describe(next, named, pending);
            }
            foreach (var (name, body) in bodies)
            {
                json.WritePropertyName(name);
                json.WriteRawValue(body, skipInputValidation: true);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(text.ToArray());
    }

    private static void WriteType(Utf8JsonWriter json, Type type, IDictionary<string, Type> named, Queue<Type> pending)
    {
        var shape = TypeShape.Of(type);
        json.WriteStartObject();
        switch (shape.Kind)
        {
            case ValueKind.Int:
                json.WriteString("kind", "int");
                json.WriteNumber("bits", shape.Bits);
                json.WriteBoolean("unsigned", shape.Unsigned);
                break;
            case ValueKind.Float:
                json.WriteString("kind", "float");
                json.WriteNumber("bits", shape.Bits);
                break;
            case ValueKind.List:
                json.WriteString("kind", "list");
                json.WritePropertyName("items");
                WriteType(json, shape.Items!, named, pending);
                break;
            case ValueKind.Map:
                json.WriteString("kind", "map");
                json.WritePropertyName("keys");
                WriteType(json, shape.Keys == typeof(object) ? typeof(string) : shape.Keys!, named, pending);
                json.WritePropertyName("values");
                WriteType(json, shape.Items!, named, pending);
                break;
            case ValueKind.Reference:
                // The referenced value's type, by name only: a reference is followed, not stored inline.
                var target = shape.Type.IsGenericType ? TypeNames.Schema(shape.Type.GetGenericArguments()[0]) : null;
                switch (Clive.Model.LiveReferences.KeyOf(shape.Type))
                {
                    case Clive.Model.LiveReferences.EntityKey:
                        json.WriteString("kind", "entityref");
                        json.WriteString("entityType", target);
                        break;
                    case Clive.Model.LiveReferences.CellKey:
                        json.WriteString("kind", "cellref");
                        json.WriteString("valueType", target);
                        break;
                    default:
                        json.WriteString("kind", "gitref");
                        break;
                }
                break;
            case ValueKind.Object or ValueKind.Enum:
                json.WriteString("kind", "named");
                json.WriteString("name", TypeNames.Schema(shape.Type));
                if (named.TryAdd(TypeNames.Schema(shape.Type), shape.Type)) pending.Enqueue(shape.Type);
                break;
            case ValueKind.Unsupported:
                throw new ValueException($"a {TypeNames.Display(shape.Type)} cannot be stored: {shape.Why}");
            default:
                json.WriteString("kind", Kinds[shape.Kind]);
                break;
        }
        json.WriteEndObject();
    }

    private static readonly Dictionary<ValueKind, string> Kinds = new()
    {
        [ValueKind.Any] = "any", [ValueKind.Bool] = "bool", [ValueKind.Decimal] = "decimal", [ValueKind.String] = "string",
        [ValueKind.Char] = "string", [ValueKind.Bytes] = "bytes", [ValueKind.DateTime] = "datetime",
        [ValueKind.DateTimeOffset] = "datetimeoffset", [ValueKind.Date] = "date", [ValueKind.Time] = "time",
        [ValueKind.TimeSpan] = "timespan", [ValueKind.Guid] = "guid",
    };

    /// <summary>The body of a named type: an object's members or an enum's names.</summary>
    private static byte[] Describe(Type type, IDictionary<string, Type> named, Queue<Type> pending)
    {
        using var text = new MemoryStream();
        using (var json = new Utf8JsonWriter(text))
        {
            json.WriteStartObject();
            if (type.IsEnum)
            {
                json.WriteString("kind", "enum");
                json.WriteStartArray("values");
                foreach (var name in Enum.GetNames(type)) json.WriteStringValue(name);
                json.WriteEndArray();
                json.WriteBoolean("flags", type.IsDefined(typeof(FlagsAttribute), false));
            }
            else
            {
                json.WriteString("kind", "object");
                json.WriteStartArray("members");
                foreach (var member in TypeShape.Of(type).Object.Members)
                {
                    json.WriteStartObject();
                    json.WriteString("name", member.Name);
                    json.WritePropertyName("type");
                    WriteType(json, member.Type, named, pending);
                    json.WriteBoolean("nullable", member.Nullable);
                    json.WriteStartArray("was");
                    foreach (var old in member.Was) json.WriteStringValue(old);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        return text.ToArray();
    }
}
