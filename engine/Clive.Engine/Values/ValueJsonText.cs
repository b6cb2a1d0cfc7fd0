using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Clive.Engine.Values;

/// <summary>
/// value.json: a stored value as indented JSON, newline-terminated, without knowing its type (maps
/// become objects, bin base64, nil null; NaN and the infinities strings). Stands in until Core's
/// ValueJson.FromMessagePack lands; the two write the same text.
/// </summary>
public static class ValueJsonText
{
    public static string FromMessagePack(byte[] bytes)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions
               {
                   Indented = true,
                   // The default encoder escapes every non-ASCII character; the file is for people.
                   Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                   MaxDepth = ValueWriter.MaxDepth + 2,
               }))
        {
            var reader = new MessagePackReader(bytes);
            Write(ref reader, json);
        }
        return Encoding.UTF8.GetString(output.WrittenSpan) + "\n";
    }

    private static void Write(ref MessagePackReader reader, Utf8JsonWriter json)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil: reader.ReadNil(); json.WriteNullValue(); break;
            case MessagePackType.Boolean: json.WriteBooleanValue(reader.ReadBoolean()); break;
            case MessagePackType.Integer when reader.NextCode == MessagePackCode.UInt64: json.WriteNumberValue(reader.ReadUInt64()); break;
            case MessagePackType.Integer: json.WriteNumberValue(reader.ReadInt64()); break;
            case MessagePackType.Float when reader.NextCode == MessagePackCode.Float32:
                // As a float, so 0.1f is written 0.1, not the double nearest it.
                var single = reader.ReadSingle();
                if (float.IsFinite(single)) json.WriteNumberValue(single);
                else WriteFloat(json, single);
                break;
            case MessagePackType.Float: WriteFloat(json, reader.ReadDouble()); break;
            case MessagePackType.String: json.WriteStringValue(reader.ReadString()); break;
            case MessagePackType.Binary: json.WriteBase64StringValue(reader.ReadBytes()!.Value.ToArray()); break;
            case MessagePackType.Array:
                var count = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < count; i++) Write(ref reader, json);
                json.WriteEndArray();
                break;
            case MessagePackType.Map:
                var entries = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < entries; i++)
                {
                    json.WritePropertyName(reader.NextMessagePackType == MessagePackType.String
                        ? reader.ReadString()!
                        : reader.ReadInt64().ToString(CultureInfo.InvariantCulture));
                    Write(ref reader, json);
                }
                json.WriteEndObject();
                break;
            default: throw new ValueException("$: a MessagePack extension is not a clive value");
        }
    }

    private static void WriteFloat(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value)) json.WriteNumberValue(value);
        else json.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }
}
