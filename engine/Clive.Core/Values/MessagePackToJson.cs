using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Clive.Core.Values;

/// <summary>
/// Any clive value in MessagePack as indented JSON, without knowing its type: maps become objects
/// (their keys must be strings or integers), arrays arrays, bin base64 strings, nil null.
/// Floats that JSON cannot write (NaN, ±Infinity) become the strings "NaN", "Infinity", "-Infinity".
/// </summary>
internal static class MessagePackToJson
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Convert(byte[] msgpack)
    {
        if (msgpack.Length > ValueLimits.MaxBytes) throw new ValueFormatException("value.msgpack is larger than the limit");
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions
               {
                   Indented = true,
                   // The default encoder escapes every non-ASCII character; the file is for people.
                   Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                   MaxDepth = ValueLimits.MaxDepth + 1,
               }))
        {
            var reader = new MessagePackReader(msgpack);
            try
            {
                Write(ref reader, json, "$", 0);
                if (!reader.End) throw new ValueFormatException("value.msgpack: bytes follow the value");
            }
            // The reader's own errors on hostile bytes vary (end of stream, out of range, bad code, bad UTF-8).
            catch (Exception e) when (e is not ValueFormatException)
            {
                throw new ValueFormatException($"value.msgpack is not a valid value ({e.Message})");
            }
        }
        return Encoding.UTF8.GetString(output.WrittenSpan) + "\n";
    }

    private static void Write(ref MessagePackReader reader, Utf8JsonWriter json, string path, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                // The first byte says whether the integer is one only a uint64 can hold.
                if (reader.NextCode == MessagePackCode.UInt64) json.WriteNumberValue(reader.ReadUInt64());
                else json.WriteNumberValue(reader.ReadInt64());
                break;
            case MessagePackType.Float:
                if (reader.NextCode == MessagePackCode.Float32) WriteFloat(json, reader.ReadSingle());
                else WriteFloat(json, reader.ReadDouble());
                break;
            case MessagePackType.String:
                json.WriteStringValue(ReadString(ref reader));
                break;
            case MessagePackType.Binary:
                json.WriteBase64StringValue(reader.ReadBytes()!.Value.ToArray());
                break;
            case MessagePackType.Array:
                CheckDepth(path, depth);
                var count = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < count; i++) Write(ref reader, json, JsonPath.Index(path, i), depth + 1);
                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                CheckDepth(path, depth);
                var pairs = reader.ReadMapHeader();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                json.WriteStartObject();
                for (var i = 0; i < pairs; i++)
                {
                    var key = ReadKey(ref reader, path);
                    if (!seen.Add(key)) throw new ValueFormatException($"value.msgpack: {path} has the key {JsonPath.Quote(key)} twice");
                    json.WritePropertyName(key);
                    Write(ref reader, json, JsonPath.Member(path, key), depth + 1);
                }
                json.WriteEndObject();
                break;
            default:
                throw new ValueFormatException($"value.msgpack: {path} is a MessagePack extension, which no clive value holds");
        }
    }

    private static string ReadKey(ref MessagePackReader reader, string path) => reader.NextMessagePackType switch
    {
        MessagePackType.String => ReadString(ref reader),
        MessagePackType.Integer when reader.NextCode == MessagePackCode.UInt64 => reader.ReadUInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
        MessagePackType.Integer => reader.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new ValueFormatException($"value.msgpack: {path} has a key that is neither a string nor an integer"),
    };

    private static string ReadString(ref MessagePackReader reader)
    {
        // Strict UTF-8: a string that is not valid UTF-8 is refused rather than silently changed.
        var bytes = reader.ReadStringSequence();
        return bytes is { } sequence ? StrictUtf8.GetString(sequence) : "";
    }

    private static void WriteFloat(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value)) json.WriteNumberValue(value);
        else json.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    private static void WriteFloat(Utf8JsonWriter json, float value)
    {
        if (float.IsFinite(value)) json.WriteNumberValue(value);
        else WriteFloat(json, (double)value);
    }

    private static void CheckDepth(string path, int depth)
    {
        if (depth >= ValueLimits.MaxDepth)
            throw new ValueFormatException($"value.msgpack: {path} nests deeper than {ValueLimits.MaxDepth} levels");
    }
}
