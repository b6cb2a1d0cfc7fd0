using System.Collections;
using System.Globalization;

namespace Clive.Engine.Values;

/// <summary>Turns the List&lt;T&gt; and Dictionary&lt;K,V&gt; a reader fills into the collection type a member declares.</summary>
internal static class Collections
{
    /// <summary>The list as <paramref name="target"/> (an array, a set, any type built from an IEnumerable or by Add); null when there is no way.</summary>
    public static object? Adapt(IList list, Type target, Type item)
    {
        if (target.IsAssignableFrom(list.GetType())) return list;
        if (target.IsArray)
        {
            var array = Array.CreateInstance(item, list.Count);
            list.CopyTo(array, 0);
            return array;
        }
        if (target.IsInterface)
        {
            var set = typeof(HashSet<>).MakeGenericType(item);
            return target.IsAssignableFrom(set) ? Activator.CreateInstance(set, list) : null;
        }
        var enumerable = typeof(IEnumerable<>).MakeGenericType(item);
        if (target.GetConstructor([enumerable]) is { } fromItems) return fromItems.Invoke([list]);
        if (target.GetConstructor(Type.EmptyTypes) is { } empty && target.GetMethod("Add", [item]) is { } add)
        {
            var collection = empty.Invoke([]);
            foreach (var value in list) add.Invoke(collection, [value]);
            return collection;
        }
        return null;
    }

    /// <summary>The dictionary as <paramref name="target"/> (a dictionary type, built from an IDictionary or by Add); null when there is no way.</summary>
    public static object? AdaptMap(IDictionary map, Type target)
    {
        if (target.IsAssignableFrom(map.GetType())) return map;
        if (target.IsInterface || target.IsAbstract) return null;
        foreach (var constructor in target.GetConstructors())
        {
            var parameters = constructor.GetParameters();
            if (parameters.Length == 1 && parameters[0].ParameterType.IsInstanceOfType(map))
                return constructor.Invoke([map]);
        }
        if (target.GetConstructor(Type.EmptyTypes) is { } empty && empty.Invoke([]) is IDictionary built)
        {
            foreach (DictionaryEntry entry in map) built.Add(entry.Key, entry.Value);
            return built;
        }
        return null;
    }

    /// <summary>A stored map key as the declared key type; null when it is not one.</summary>
    public static object? ParseKey(string text, Type keyType)
    {
        if (keyType == typeof(string)) return text;
        if (keyType == typeof(char)) return text.Length == 1 ? text[0] : null;
        if (keyType == typeof(Guid)) return Guid.TryParse(text, out var guid) ? guid : null;
        if (keyType.IsEnum) return Enum.TryParse(keyType, text, ignoreCase: false, out var member) && !char.IsAsciiDigit(text[0]) ? member : null;
        if (TypeShape.Of(keyType).Kind == ValueKind.Int)
        {
            try
            {
                return Convert.ChangeType(text, keyType, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                return null;
            }
        }
        return null;
    }
}
