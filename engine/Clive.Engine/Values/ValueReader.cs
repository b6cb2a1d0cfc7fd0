using System.Buffers;
using System.Collections;
using System.Globalization;
using MessagePack;

namespace Clive.Engine.Values;

/// <summary>
/// Reads a clive value into a C# type, which may be a later version of the type it was written
/// from: objects are built from their maps by member name (constructor parameters case-insensitively,
/// then settable and init-only members), a member the stored value lacks takes its default, a
/// stored member the type no longer has is skipped, <c>[Was("Old")]</c> reads a renamed one.
/// What cannot be converted (a string where an int is expected, null for a non-nullable member)
/// throws one <see cref="ValueException"/> naming the path, what is stored and what was expected.
/// </summary>
public static class ValueReader
{
    public static object? Read(byte[] bytes, Type target)
    {
        var reader = new MessagePackReader(bytes);
        try
        {
            var value = new Walk().Read(ref reader, target, nullable: !target.IsValueType, 0);
            if (!reader.End) throw new ValueException("$: the stored bytes go on after the value");
            return value;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException)
        {
            throw new ValueException($"$: the stored bytes are not a MessagePack value ({e.Message})");
        }
    }

    private sealed class Walk
    {
        private readonly ValuePath _path = new();

        public object? Read(ref MessagePackReader reader, Type target, bool nullable, int depth)
        {
            var shape = TypeShape.Of(target);
            if (reader.TryReadNil())
            {
                if (nullable || shape.IsNullableValue) return null;
                throw new ValueException($"{_path}: the stored value is null, which cannot become {TypeNames.Display(target)} (make it {TypeNames.Display(target)}? to allow null)");
            }
            if (depth > ValueWriter.MaxDepth) throw new ValueException($"{_path}: the stored value nests deeper than {ValueWriter.MaxDepth} levels");
            var stored = reader.NextMessagePackType;
            return (shape.Kind, stored) switch
            {
                (ValueKind.Any, _) => ReadAny(ref reader, depth),
                (ValueKind.Bool, MessagePackType.Boolean) => reader.ReadBoolean(),
                (ValueKind.Int, MessagePackType.Integer) => ReadInteger(ref reader, shape),
                (ValueKind.Float, MessagePackType.Integer or MessagePackType.Float) => shape.Bits == 32 ? (float)reader.ReadDouble() : reader.ReadDouble(),
                (ValueKind.Decimal, MessagePackType.Integer or MessagePackType.Float or MessagePackType.String) => ReadDecimal(ref reader, stored),
                (ValueKind.String, MessagePackType.String) => reader.ReadString(),
                (ValueKind.Char, MessagePackType.String) => Parse(ref reader, shape, s => s.Length == 1 ? s[0] : null),
                (ValueKind.Bytes, MessagePackType.Binary) => reader.ReadBytes()!.Value.ToArray(),
                (ValueKind.DateTime, MessagePackType.String) => Parse(ref reader, shape, s => DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var v) ? v : null),
                (ValueKind.DateTimeOffset, MessagePackType.String) => Parse(ref reader, shape, s => DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var v) ? v : null),
                (ValueKind.Date, MessagePackType.String) => Parse(ref reader, shape, s => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var v) ? v : null),
                (ValueKind.Time, MessagePackType.String) => Parse(ref reader, shape, s => TimeOnly.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var v) ? v : null),
                (ValueKind.TimeSpan, MessagePackType.String) => Parse(ref reader, shape, s => TimeSpan.TryParseExact(s, "c", CultureInfo.InvariantCulture, out var v) ? v : null),
                (ValueKind.Guid, MessagePackType.String) => Parse(ref reader, shape, s => Guid.TryParse(s, out var v) ? v : null),
                (ValueKind.Enum, MessagePackType.String) => Parse(ref reader, shape, s => Enum.TryParse(shape.Type, s, ignoreCase: false, out var v) && IsMember(shape.Type, v!) ? v : null),
                (ValueKind.Enum, MessagePackType.Integer) => Enum.ToObject(shape.Type, reader.ReadInt64()),
                (ValueKind.Reference, MessagePackType.Map) => ReadReference(ref reader, shape),
                (ValueKind.List, MessagePackType.Array) => ReadList(ref reader, shape, depth),
                (ValueKind.Map, MessagePackType.Map) => ReadMap(ref reader, shape, depth),
                (ValueKind.Object, MessagePackType.Map) => ReadObject(ref reader, shape, depth),
                (ValueKind.Unsupported, _) => throw new ValueException($"{_path}: a {TypeNames.Display(shape.Type)} cannot be read: {shape.Why}"),
                _ => throw Mismatch(ref reader, target),
            };
        }

        private ValueException Mismatch(ref MessagePackReader reader, Type target)
            => new($"{_path}: the stored value is {Describe(ref reader)}, which cannot become {TypeNames.Display(target)}");

        /// <summary>What is stored, for a message: "a string (\"ten\")", "an integer (300)", "a list". Consumes it.</summary>
        private static string Describe(ref MessagePackReader reader)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Boolean: return $"a boolean ({(reader.ReadBoolean() ? "true" : "false")})";
                case MessagePackType.Integer: return $"an integer ({(reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64().ToString(CultureInfo.InvariantCulture) : reader.ReadInt64().ToString(CultureInfo.InvariantCulture))})";
                case MessagePackType.Float: return $"a number ({reader.ReadDouble().ToString(CultureInfo.InvariantCulture)})";
                case MessagePackType.String:
                    var text = reader.ReadString() ?? "";
                    return $"a string (\"{(text.Length > 40 ? text[..40] + "…" : text)}\")";
                case MessagePackType.Binary: reader.Skip(); return "bytes";
                case MessagePackType.Array:
                    var count = reader.ReadArrayHeader();
                    for (var i = 0; i < count; i++) reader.Skip();
                    return $"a list of {count}";
                case MessagePackType.Map: reader.Skip(); return "an object (a map)";
                default: reader.Skip(); return "a MessagePack extension";
            }
        }

        private object ReadInteger(ref MessagePackReader reader, TypeShape shape)
        {
            var big = reader.NextCode == MessagePackCode.UInt64;
            object stored = big ? reader.ReadUInt64() : reader.ReadInt64();
            try
            {
                return Convert.ChangeType(stored, shape.Type, CultureInfo.InvariantCulture);
            }
            catch (OverflowException)
            {
                throw new ValueException($"{_path}: the stored integer {stored} does not fit in {TypeNames.Display(shape.Type)}");
            }
        }

        private object ReadDecimal(ref MessagePackReader reader, MessagePackType stored)
        {
            if (stored == MessagePackType.Integer) return reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : (decimal)reader.ReadInt64();
            if (stored == MessagePackType.Float) return (decimal)reader.ReadDouble();
            var text = reader.ReadString()!;
            return decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
                ? value : throw new ValueException($"{_path}: the stored string \"{text}\" is not a decimal number");
        }

        /// <summary>A value stored as text (times, enums, Guids); <paramref name="parse"/> returns null when the text is not one.</summary>
        private object Parse(ref MessagePackReader reader, TypeShape shape, Func<string, object?> parse)
        {
            var text = reader.ReadString()!;
            return parse(text) ?? throw new ValueException(shape.Kind == ValueKind.Enum
                ? $"{_path}: the stored value \"{text}\" is not a member of {TypeNames.Display(shape.Type)} ({string.Join(", ", Enum.GetNames(shape.Type))})"
                : $"{_path}: the stored string \"{text}\" is not a {TypeNames.Display(shape.Type)}");
        }

        /// <summary>Enum.TryParse takes any number: a stored name must name a member (or, for flags, members).</summary>
        private static bool IsMember(Type type, object value)
            => Enum.IsDefined(type, value) || type.IsDefined(typeof(FlagsAttribute), false) && !char.IsAsciiDigit(value.ToString()![0]) && value.ToString()![0] != '-';

        private object? ReadAny(ref MessagePackReader reader, int depth)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Nil: reader.ReadNil(); return null;
                case MessagePackType.Boolean: return reader.ReadBoolean();
                case MessagePackType.Integer: return reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64() : reader.ReadInt64();
                case MessagePackType.Float: return reader.ReadDouble();
                case MessagePackType.String: return reader.ReadString();
                case MessagePackType.Binary: return reader.ReadBytes()!.Value.ToArray();
                case MessagePackType.Array: return ReadList(ref reader, TypeShape.Of(typeof(List<object?>)), depth);
                case MessagePackType.Map: return ReadMap(ref reader, TypeShape.Of(typeof(Dictionary<string, object?>)), depth);
                default: throw new ValueException($"{_path}: the stored value is {Describe(ref reader)}, which no clive value holds");
            }
        }

        private object ReadList(ref MessagePackReader reader, TypeShape shape, int depth)
        {
            var itemType = shape.Items!;
            var count = reader.ReadArrayHeader();
            var items = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType), count)!;
            for (var i = 0; i < count; i++)
            {
                _path.Index(i);
                items.Add(Read(ref reader, itemType, nullable: !itemType.IsValueType, depth + 1));
                _path.Pop();
            }
            return Collections.Adapt(items, shape.Type, itemType) ?? throw new ValueException($"{_path}: clive cannot build a {TypeNames.Display(shape.Type)}; declare it as a list, array or set");
        }

        private object ReadMap(ref MessagePackReader reader, TypeShape shape, int depth)
        {
            var (keyType, valueType) = (shape.Keys!, shape.Items!);
            var count = reader.ReadMapHeader();
            var keys = keyType == typeof(object) ? typeof(string) : keyType;
            var map = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(keys, valueType), count)!;
            for (var i = 0; i < count; i++)
            {
                var text = ReadKey(ref reader);
                _path.Key(text);
                var key = Collections.ParseKey(text, keys) ?? throw new ValueException($"{_path}: the stored key \"{text}\" is not a {TypeNames.Display(keys)}");
                map[key] = Read(ref reader, valueType, nullable: !valueType.IsValueType, depth + 1);
                _path.Pop();
            }
            return Collections.AdaptMap(map, shape.Type) ?? throw new ValueException($"{_path}: clive cannot build a {TypeNames.Display(shape.Type)}; declare it as a Dictionary");
        }

        /// <summary>Keys are strings; integers (from other writers of MessagePack) are taken in their invariant form.</summary>
        private string ReadKey(ref MessagePackReader reader) => reader.NextMessagePackType switch
        {
            MessagePackType.String => reader.ReadString()!,
            MessagePackType.Integer => reader.NextCode == MessagePackCode.UInt64 ? reader.ReadUInt64().ToString(CultureInfo.InvariantCulture) : reader.ReadInt64().ToString(CultureInfo.InvariantCulture),
            _ => throw new ValueException($"{_path}: a stored map has a key that is {Describe(ref reader)}; keys are strings"),
        };

        private object ReadReference(ref MessagePackReader reader, TypeShape shape)
        {
            var key = Clive.Model.LiveReferences.KeyOf(shape.Type)!;
            string? target = null;
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                if (ReadKey(ref reader) == key && reader.NextMessagePackType == MessagePackType.String) target = reader.ReadString();
                else reader.Skip();
            }
            if (target is null) throw new ValueException($"{_path}: the stored object is not a {TypeNames.Display(shape.Type)} (no \"{key}\" target)");
            var constructor = shape.Type.GetConstructor([typeof(string)])!;
            try
            {
                return constructor.Invoke([target]);
            }
            catch (System.Reflection.TargetInvocationException e) when (e.InnerException is ArgumentException bad)
            {
                throw new ValueException($"{_path}: {bad.Message}");
            }
        }

        private object ReadObject(ref MessagePackReader reader, TypeShape shape, int depth)
        {
            var type = shape.Type;
            var members = shape.Object;
            var values = new object?[members.Members.Count];
            var present = new bool[values.Length];
            var count = reader.ReadMapHeader();
            for (var i = 0; i < count; i++)
            {
                var name = ReadKey(ref reader);
                var index = members.Find(name);
                if (index < 0)
                {
                    reader.Skip(); // a member this version of the type no longer has
                    continue;
                }
                var member = members.Members[index];
                _path.Member(name);
                values[index] = Read(ref reader, member.Type, member.Nullable, depth + 1);
                present[index] = true;
                _path.Pop();
            }
            return new ObjectBuilder(_path, type, members).Build(values, present);
        }
    }
}
