using System.Collections;
using System.Runtime.CompilerServices;

namespace Clive.Engine.Values;

/// <summary>What a clive value of some C# type is made of (the contract of issue 13).</summary>
internal enum ValueKind
{
    /// <summary><c>object</c>: whatever the stored value is.</summary>
    Any,
    Bool, Int, Float, Decimal, String, Char, Bytes,
    DateTime, DateTimeOffset, Date, Time, TimeSpan, Guid,
    Enum, List, Map, Object, Reference,
    /// <summary>Not a value (a delegate, a pointer, a stream…): <see cref="TypeShape.Why"/> says why.</summary>
    Unsupported,
}

/// <summary>
/// How values of one C# type are written and read. Kept per type in a <see cref="ConditionalWeakTable{TKey,TValue}"/>:
/// a model's types live in its collectible load context, and a cache that held them strongly (as
/// serializers' static generic caches do) would keep every old model version loaded.
/// </summary>
internal sealed class TypeShape
{
    private static readonly ConditionalWeakTable<Type, TypeShape> Shapes = new();

    private ObjectShape? _object;

    private TypeShape(Type type, ValueKind kind)
    {
        Type = type;
        Kind = kind;
    }

    /// <summary>The type itself; for <c>Nullable&lt;T&gt;</c>, T (and <see cref="IsNullableValue"/>).</summary>
    public Type Type { get; }
    public ValueKind Kind { get; }
    public bool IsNullableValue { get; private init; }
    public int Bits { get; private init; }
    public bool Unsigned { get; private init; }
    /// <summary>A list's items, a map's values.</summary>
    public Type? Items { get; private init; }
    public Type? Keys { get; private init; }
    public string? Why { get; private init; }

    /// <summary>An object's members and how to build one; made on first use, since writing a list of numbers never needs it.</summary>
    public ObjectShape Object => _object ??= new ObjectShape(Type);

    public static TypeShape Of(Type type) => Shapes.GetValue(type, Classify);

    private static TypeShape Classify(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            var inner = Of(underlying);
            return new TypeShape(underlying, inner.Kind) { IsNullableValue = true, Bits = inner.Bits, Unsigned = inner.Unsigned, Items = inner.Items, Keys = inner.Keys, Why = inner.Why };
        }
        if (Scalar(type) is { } scalar) return scalar;
        if (type.IsEnum) return new TypeShape(type, ValueKind.Enum);
        if (Clive.Model.LiveReferences.KeyOf(type) is not null) return new TypeShape(type, ValueKind.Reference);
        if (NotAValue(type) is { } why) return new TypeShape(type, ValueKind.Unsupported) { Why = why };
        if (MapTypes(type) is { } map) return new TypeShape(type, ValueKind.Map) { Keys = map.Keys, Items = map.Values };
        if (typeof(IDictionary).IsAssignableFrom(type)) return new TypeShape(type, ValueKind.Map) { Keys = typeof(object), Items = typeof(object) };
        if (type.IsArray)
            return type.GetArrayRank() == 1 ? new TypeShape(type, ValueKind.List) { Items = type.GetElementType() }
                : new TypeShape(type, ValueKind.Unsupported) { Why = "a multi-dimensional array is not a value; use an array of arrays" };
        if (ItemType(type) is { } item) return new TypeShape(type, ValueKind.List) { Items = item };
        if (typeof(IEnumerable).IsAssignableFrom(type)) return new TypeShape(type, ValueKind.List) { Items = typeof(object) };
        // The model API's own data: what a cell that starts engines returns (its other types, cells and entities, are not values).
        if (type == typeof(Clive.Model.EngineRequest)) return new TypeShape(type, ValueKind.Object);
        if (IsFramework(type) && !IsTuple(type))
            return new TypeShape(type, ValueKind.Unsupported) { Why = "it is not one of the types clive stores (records, classes, structs, enums, lists, dictionaries, numbers, strings, times)" };
        if (typeof(IDisposable).IsAssignableFrom(type) || typeof(IAsyncDisposable).IsAssignableFrom(type))
            return new TypeShape(type, ValueKind.Unsupported) { Why = "it holds a resource (it is disposable), not data" };
        return new TypeShape(type, ValueKind.Object);
    }

    private static TypeShape? Scalar(Type type)
    {
        if (type == typeof(object)) return new TypeShape(type, ValueKind.Any);
        if (type == typeof(bool)) return new TypeShape(type, ValueKind.Bool);
        if (type == typeof(string)) return new TypeShape(type, ValueKind.String);
        if (type == typeof(char)) return new TypeShape(type, ValueKind.Char);
        if (type == typeof(byte[])) return new TypeShape(type, ValueKind.Bytes);
        if (type == typeof(float)) return new TypeShape(type, ValueKind.Float) { Bits = 32 };
        if (type == typeof(double)) return new TypeShape(type, ValueKind.Float) { Bits = 64 };
        if (type == typeof(decimal)) return new TypeShape(type, ValueKind.Decimal);
        if (type == typeof(DateTime)) return new TypeShape(type, ValueKind.DateTime);
        if (type == typeof(DateTimeOffset)) return new TypeShape(type, ValueKind.DateTimeOffset);
        if (type == typeof(DateOnly)) return new TypeShape(type, ValueKind.Date);
        if (type == typeof(TimeOnly)) return new TypeShape(type, ValueKind.Time);
        if (type == typeof(TimeSpan)) return new TypeShape(type, ValueKind.TimeSpan);
        if (type == typeof(Guid)) return new TypeShape(type, ValueKind.Guid);
        var (bits, unsigned) = Type.GetTypeCode(type) switch
        {
            TypeCode.SByte => (8, false), TypeCode.Byte => (8, true),
            TypeCode.Int16 => (16, false), TypeCode.UInt16 => (16, true),
            TypeCode.Int32 => (32, false), TypeCode.UInt32 => (32, true),
            TypeCode.Int64 => (64, false), TypeCode.UInt64 => (64, true),
            _ => (0, false),
        };
        return bits == 0 || type.IsEnum ? null : new TypeShape(type, ValueKind.Int) { Bits = bits, Unsigned = unsigned };
    }

    /// <summary>Why a type is not data, for the kinds people reach for by mistake.</summary>
    private static string? NotAValue(Type type)
    {
        if (type.IsPointer || type.IsFunctionPointer || type == typeof(IntPtr) || type == typeof(UIntPtr)) return "pointers are not values";
        if (type.IsByRefLike) return "a span or other by-ref type is not a value";
        if (typeof(Delegate).IsAssignableFrom(type)) return "a function is not a value";
        if (typeof(Stream).IsAssignableFrom(type)) return "a stream is not a value; return its bytes";
        if (typeof(System.Reflection.MemberInfo).IsAssignableFrom(type) || typeof(System.Reflection.Assembly).IsAssignableFrom(type)) return "reflection objects are not values";
        if (typeof(Task).IsAssignableFrom(type) || type == typeof(ValueTask) || type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            return "a task is not a value; return its result";
        return null;
    }

    /// <summary>The key and value types of a generic dictionary (read-only ones included).</summary>
    private static (Type Keys, Type Values)? MapTypes(Type type)
    {
        foreach (var candidate in type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces())
        {
            if (!candidate.IsGenericType) continue;
            var definition = candidate.GetGenericTypeDefinition();
            if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            {
                var arguments = candidate.GetGenericArguments();
                return (arguments[0], arguments[1]);
            }
        }
        return null;
    }

    private static Type? ItemType(Type type)
    {
        if (type.IsInterface && type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)) return type.GetGenericArguments()[0];
        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }

    private static bool IsTuple(Type type)
        => type.IsGenericType && (type.FullName ?? "").StartsWith("System.", StringComparison.Ordinal)
           && (typeof(ITuple).IsAssignableFrom(type) || type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>));

    /// <summary>Types of the runtime and of clive's own API: only the kinds above are values among them.</summary>
    private static bool IsFramework(Type type)
    {
        var assembly = type.Assembly;
        if (assembly == typeof(object).Assembly || assembly == typeof(Clive.Model.Cell).Assembly) return true;
        var name = assembly.GetName().Name ?? "";
        return name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.", StringComparison.Ordinal)
               || name is "System" or "mscorlib" or "netstandard";
    }
}
