using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Clive.Cli;

/// <summary>
/// JSON for scripts (<c>--json</c>), with serializers generated at build time: clive is compiled
/// ahead of time, where reflection-based serialization is not available.
/// </summary>
internal static class JsonOutput
{
    /// <summary>Times as UTC ISO 8601 ("2026-11-25T17:35:44.123Z"): no offset sign for an encoder to escape.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static void Write<T>(T value, JsonTypeInfo<T> type) => Console.Out.WriteLine(JsonSerializer.Serialize(value, type));

    /// <summary>One object per line, for streams that never end (clive events --follow).</summary>
    public static void WriteLine<T>(T value, JsonTypeInfo<T> type)
    {
        using var stream = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
            JsonSerializer.Serialize(writer, value, type);
        stream.Write("\n"u8);
        stream.Flush();
    }
}

internal sealed record RepoJson(string Name, string Created, int Refs, string? Head);
internal sealed record RefJson(string Name, string? Target, string? Symref);
internal sealed record FsckJson(bool Clean, long Packs, long Objects, long Refs, IReadOnlyList<string> Problems);
internal sealed record KeyJson(string Name, string Key, string Comment, string Added);
internal sealed record TrustJson(long Id, string Host, string Fingerprint, string Key, string Repos, string TrustedBy, string TrustedAt, string? RemovedBy, string? RemovedAt);
internal sealed record GrantJson(long Id, string Identity, string Right, string Scope, string GrantedBy, string GrantedAt, string? RevokedBy, string? RevokedAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(List<RepoJson>))]
[JsonSerializable(typeof(List<RefJson>))]
[JsonSerializable(typeof(List<Commands.EventJson>))]
[JsonSerializable(typeof(Commands.EventJson))]
[JsonSerializable(typeof(FsckJson))]
[JsonSerializable(typeof(Clive.Store.Maintenance.GcReport))]
[JsonSerializable(typeof(List<KeyJson>))]
[JsonSerializable(typeof(List<GrantJson>))]
[JsonSerializable(typeof(List<TrustJson>))]
[JsonSerializable(typeof(Commands.StatusJson))]
[JsonSerializable(typeof(Commands.WhyJson))]
[JsonSerializable(typeof(Commands.EntityVersionJson))]
[JsonSerializable(typeof(List<Commands.EntityVersionJson>))]
[JsonSerializable(typeof(List<Commands.EntityHeadJson>))]
internal sealed partial class CliveJson : JsonSerializerContext;
