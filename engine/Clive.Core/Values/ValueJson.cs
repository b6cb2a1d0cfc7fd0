namespace Clive.Core.Values;

/// <summary>
/// value.msgpack ⇄ value.json. Any value reads as JSON without its type; JSON becomes a value only
/// through the type's <see cref="ValueSchema"/>, which it must satisfy.
/// </summary>
public static class ValueJson
{
    /// <summary>The value as indented UTF-8 JSON with a newline at the end (what value.json holds).</summary>
    /// <exception cref="ValueFormatException">The bytes are not a clive value.</exception>
    public static string FromMessagePack(byte[] msgpack) => MessagePackToJson.Convert(msgpack);

    /// <summary>The JSON as the value the model would have written, checked against the schema.</summary>
    /// <exception cref="ValueFormatException">The JSON does not parse or does not fit; the message names the path.</exception>
    public static byte[] ToMessagePack(string json, string schemaJson) => ToMessagePack(json, ValueSchema.Parse(schemaJson));

    /// <inheritdoc cref="ToMessagePack(string, string)"/>
    public static byte[] ToMessagePack(string json, ValueSchema schema) => JsonToMessagePack.Convert(json, schema);
}
