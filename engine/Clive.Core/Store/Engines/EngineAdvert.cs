using System.Globalization;
using System.Text;
using System.Text.Json;
using Clive.Core.Values;

namespace Clive.Core.Store.Engines;

/// <summary>Whether an engine said it runs or that it stopped cleanly.</summary>
public enum AdvertisedState { Running, Stopped }

/// <summary>
/// What an engine tells the store about itself (the value of its entity in <see cref="EngineRegistry.Repo"/>):
/// where it runs, what it can run (labels, job slots) and what it evaluates. Written when it starts
/// and when it stops; liveness between the two is the heartbeat's business, not this value's.
/// </summary>
/// <param name="Store">The store directory on <paramref name="Host"/> the engine serves.</param>
/// <param name="ProcessStart">The process's start time (clock ticks since boot), which tells a reused pid apart.</param>
/// <param name="Repos">The repos it evaluates (<c>--repo</c>); empty with <paramref name="AllRepos"/>.</param>
public sealed record EngineAdvert(string Host, string Store, int Pid, long ProcessStart, IReadOnlyList<string> Labels, int Jobs,
    IReadOnlyList<string> Repos, bool AllRepos, AdvertisedState State, DateTimeOffset Started, DateTimeOffset? Stopped)
{
    /// <summary>
    /// The value's type, as a model's <c>Cells.Entity&lt;T&gt;</c> would declare it, recorded in
    /// <c>entity_types</c> so <c>clive entity get|set</c> and the mount check it without model code.
    /// </summary>
    public const string SchemaJson = """
        {"root": {"kind": "named", "name": "Clive.Engines.EngineAdvert"},
         "types": {
           "Clive.Engines.EngineAdvert": {"kind": "object", "members": [
             {"name": "Host", "type": {"kind": "string"}},
             {"name": "Store", "type": {"kind": "string"}},
             {"name": "Pid", "type": {"kind": "int", "bits": 32}},
             {"name": "ProcessStart", "type": {"kind": "int", "bits": 64}},
             {"name": "Labels", "type": {"kind": "list", "items": {"kind": "string"}}},
             {"name": "Jobs", "type": {"kind": "int", "bits": 32}},
             {"name": "Repos", "type": {"kind": "list", "items": {"kind": "string"}}},
             {"name": "AllRepos", "type": {"kind": "bool"}},
             {"name": "State", "type": {"kind": "named", "name": "Clive.Engines.EngineState"}},
             {"name": "Started", "type": {"kind": "datetimeoffset"}},
             {"name": "Stopped", "type": {"kind": "datetimeoffset", "nullable": true}, "nullable": true}]},
           "Clive.Engines.EngineState": {"kind": "enum", "values": ["Running", "Stopped"]}}}
        """;

    /// <summary>The value as stored (MessagePack), made from its JSON and checked against <see cref="SchemaJson"/>.</summary>
    public byte[] ToMessagePack() => ValueJson.ToMessagePack(ToJson(), SchemaJson);

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Host", Host);
            json.WriteString("Store", Store);
            json.WriteNumber("Pid", Pid);
            json.WriteNumber("ProcessStart", ProcessStart);
            WriteStrings(json, "Labels", Labels);
            json.WriteNumber("Jobs", Jobs);
            WriteStrings(json, "Repos", Repos);
            json.WriteBoolean("AllRepos", AllRepos);
            json.WriteString("State", State.ToString());
            json.WriteString("Started", Time(Started));
            if (Stopped is { } stopped) json.WriteString("Stopped", Time(stopped));
            else json.WriteNull("Stopped");
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads a version's JSON back; null when it is not an advert (someone set the entity by hand to something else).</summary>
    public static EngineAdvert? FromJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var v = document.RootElement;
            return new EngineAdvert(v.GetProperty("Host").GetString()!, v.GetProperty("Store").GetString()!, v.GetProperty("Pid").GetInt32(),
                v.GetProperty("ProcessStart").GetInt64(), Strings(v.GetProperty("Labels")), v.GetProperty("Jobs").GetInt32(), Strings(v.GetProperty("Repos")),
                v.GetProperty("AllRepos").GetBoolean(), Enum.Parse<AdvertisedState>(v.GetProperty("State").GetString()!),
                ParseTime(v.GetProperty("Started").GetString()!),
                v.GetProperty("Stopped") is { ValueKind: JsonValueKind.String } s ? ParseTime(s.GetString()!) : null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    private static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
