using System.Buffers;
using System.Collections;
using System.Globalization;
using MessagePack;

namespace Clive.Engine.Values;

/// <summary>
/// Writes a value as a "clive value" (MessagePack): objects as maps of member name to value,
/// enums and times as strings, dictionaries as maps with string keys, live references as
/// <c>{"$entity": name}</c>, <c>{"$cell": address}</c>, <c>{"$ref": address}</c>. Only MessagePackWriter's primitives are used, over reflection kept in
/// <see cref="TypeShape"/>: MessagePack-CSharp's resolvers cache formatters per type for the life
/// of the process, which would keep every model version's collectible assembly loaded.
/// </summary>
public static class ValueWriter
{
    public const int MaxDepth = 64;

    /// <summary>The value's bytes; throws <see cref="ValueException"/> naming the path of what cannot be stored.</summary>
    public static byte[] Write(object? value, Type declared)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        new Walk().Write(ref writer, value, declared, 0);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class Walk
    {
        private readonly ValuePath _path = new();
        // The objects between the root and here: meeting one again is a cycle. A shared
        // sub-object met again elsewhere is not on the path any more, and is written again.
        private readonly HashSet<object> _open = new(ReferenceEqualityComparer.Instance);

        public void Write(ref MessagePackWriter writer, object? value, Type declared, int depth)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }
            if (depth > MaxDepth) throw new ValueException($"{_path}: the value nests deeper than {MaxDepth} levels");
            // The value's own type decides, not the declared one: an `object` member holding a record is written as that record.
            var shape = TypeShape.Of(value.GetType());
            switch (shape.Kind)
            {
                case ValueKind.Bool: writer.Write((bool)value); return;
                case ValueKind.Int when shape.Unsigned: writer.Write(Convert.ToUInt64(value, CultureInfo.InvariantCulture)); return;
                case ValueKind.Int: writer.Write(Convert.ToInt64(value, CultureInfo.InvariantCulture)); return;
                case ValueKind.Float when shape.Bits == 32: writer.Write((float)value); return;
                case ValueKind.Float: writer.Write((double)value); return;
                case ValueKind.Decimal: writer.Write(((decimal)value).ToString(CultureInfo.InvariantCulture)); return;
                case ValueKind.String: writer.Write((string)value); return;
                case ValueKind.Char: writer.Write(((char)value).ToString()); return;
                case ValueKind.Bytes: writer.Write((byte[])value); return;
                case ValueKind.DateTime: writer.Write(((DateTime)value).ToString("O", CultureInfo.InvariantCulture)); return;
                case ValueKind.DateTimeOffset: writer.Write(((DateTimeOffset)value).ToString("O", CultureInfo.InvariantCulture)); return;
                case ValueKind.Date: writer.Write(((DateOnly)value).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); return;
                case ValueKind.Time: writer.Write(((TimeOnly)value).ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)); return;
                case ValueKind.TimeSpan: writer.Write(((TimeSpan)value).ToString("c", CultureInfo.InvariantCulture)); return;
                case ValueKind.Guid: writer.Write(((Guid)value).ToString("D")); return;
                case ValueKind.Enum: writer.Write(value.ToString()); return;
                case ValueKind.Reference: WriteReference(ref writer, value); return;
                case ValueKind.Unsupported: throw new ValueException($"{_path}: a {TypeNames.Display(shape.Type)} cannot be stored: {shape.Why}");
                case ValueKind.Any: throw new ValueException($"{_path}: a bare object has no data to store");
            }
            Enter(value);
            switch (shape.Kind)
            {
                case ValueKind.List: WriteList(ref writer, (IEnumerable)value, shape, depth); break;
                case ValueKind.Map: WriteMap(ref writer, value, shape, depth); break;
                default: WriteObject(ref writer, value, shape.Object, depth); break;
            }
            _open.Remove(value);
        }

        private void Enter(object value)
        {
            if (value.GetType().IsValueType || _open.Add(value)) return;
            throw new ValueException($"{_path}: the value refers back to a {TypeNames.Display(value.GetType())} that contains it (a cycle); store an id or an entity reference instead");
        }

        private void WriteList(ref MessagePackWriter writer, IEnumerable list, TypeShape shape, int depth)
        {
            // The header needs the count before the items: a lazy sequence is walked once, into a list.
            var items = list is ICollection collection ? collection : list.Cast<object?>().ToList();
            writer.WriteArrayHeader(items.Count);
            var index = 0;
            foreach (var item in items)
            {
                _path.Index(index++);
                Write(ref writer, item, shape.Items!, depth + 1);
                _path.Pop();
            }
        }

        private void WriteMap(ref MessagePackWriter writer, object map, TypeShape shape, int depth)
        {
            var entries = new List<(string Key, object? Value)>();
            if (map is IDictionary dictionary)
                foreach (DictionaryEntry entry in dictionary) entries.Add((KeyText(entry.Key), entry.Value));
            else
                foreach (var entry in (IEnumerable)map) entries.Add(KeyValue(entry!));
            writer.WriteMapHeader(entries.Count);
            foreach (var (key, item) in entries)
            {
                writer.Write(key);
                _path.Key(key);
                Write(ref writer, item, shape.Items!, depth + 1);
                _path.Pop();
            }
        }

        /// <summary>A read-only dictionary that is not an IDictionary enumerates KeyValuePairs: read them by reflection, the pair type being generic.</summary>
        private (string, object?) KeyValue(object pair)
        {
            var type = pair.GetType();
            return (KeyText(type.GetProperty("Key")!.GetValue(pair)), type.GetProperty("Value")!.GetValue(pair));
        }

        /// <summary>Map keys are strings: numbers in invariant form, enums by name; "$…" is kept for references.</summary>
        private string KeyText(object? key)
        {
            var text = key switch
            {
                string s => s,
                char c => c.ToString(),
                Enum e => e.ToString(),
                Guid g => g.ToString("D"),
                sbyte or byte or short or ushort or int or uint or long or ulong => Convert.ToString(key, CultureInfo.InvariantCulture)!,
                _ => throw new ValueException($"{_path}: a dictionary key of type {TypeNames.Display(key?.GetType() ?? typeof(object))} cannot be stored; keys are strings, integers, enums or Guids"),
            };
            if (text.StartsWith('$')) throw new ValueException($"{_path}: the key \"{text}\" starts with '$', which is kept for references");
            return text;
        }

        private void WriteObject(ref MessagePackWriter writer, object value, ObjectShape shape, int depth)
        {
            writer.WriteMapHeader(shape.Members.Count);
            foreach (var member in shape.Members)
            {
                writer.Write(member.Name);
                _path.Member(member.Name);
                object? memberValue;
                try
                {
                    memberValue = member.Get(value);
                }
                catch (System.Reflection.TargetInvocationException e)
                {
                    throw new ValueException($"{_path}: reading it threw {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                }
                Write(ref writer, memberValue, member.Type, depth + 1);
                _path.Pop();
            }
        }

        private void WriteReference(ref MessagePackWriter writer, object value)
        {
            string target;
            try
            {
                target = ((Clive.Model.ILiveReference)value).StoredTarget;
            }
            catch (InvalidOperationException e)
            {
                throw new ValueException($"{_path}: {e.Message}");
            }
            writer.WriteMapHeader(1);
            writer.Write(Clive.Model.LiveReferences.KeyOf(value.GetType()));
            writer.Write(target);
        }
    }
}
