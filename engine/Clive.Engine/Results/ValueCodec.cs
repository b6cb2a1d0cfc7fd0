using System.Collections;
using MessagePack;
using MessagePack.Resolvers;

namespace Clive.Engine.Results;

/// <summary>
/// Cell values in MessagePack. Only the framework's own data types are stored (numbers, strings,
/// booleans, times, byte arrays, lists and dictionaries of them): a type from a model's script would
/// pin its collectible assembly in the serializer's caches and change meaning when the script does.
/// </summary>
public static class ValueCodec
{
    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    public static byte[] Encode(object? value, string cell)
    {
        Check(value, cell, 0);
        return MessagePackSerializer.Serialize<object?>(value, Options);
    }

    public static T? Decode<T>(byte[] bytes) => MessagePackSerializer.Deserialize<T>(bytes, Options);

    public static string ToJson(byte[] bytes) => MessagePackSerializer.ConvertToJson(bytes, Options);

    private static void Check(object? value, string cell, int depth)
    {
        if (depth > 64) throw new CellFailure($"cell {cell}: its value nests too deeply to store");
        switch (value)
        {
            case null or string or bool or byte[] or DateTime or DateTimeOffset or Guid or TimeSpan or decimal:
                return;
            case var _ when value.GetType().IsPrimitive:
                return;
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary) { Check(entry.Key, cell, depth + 1); Check(entry.Value, cell, depth + 1); }
                CheckFramework(value, cell);
                return;
            case IEnumerable list:
                foreach (var item in list) Check(item, cell, depth + 1);
                CheckFramework(value, cell);
                return;
            default:
                throw new CellFailure($"cell {cell}: a value of type {value.GetType().Name} cannot be stored; return numbers, strings, lists or dictionaries");
        }
    }

    private static void CheckFramework(object value, string cell)
    {
        var assembly = value.GetType().Assembly;
        if (assembly != typeof(object).Assembly && !assembly.GetName().Name!.StartsWith("System.", StringComparison.Ordinal))
            throw new CellFailure($"cell {cell}: a value of type {value.GetType().Name} cannot be stored; return numbers, strings, lists or dictionaries");
    }
}

/// <summary>A cell failed for a reason of its own (not the engine's): the message is its log's last line.</summary>
public sealed class CellFailure(string message) : Exception(message);
