using System.CommandLine;
using System.Text;
using System.Text.Json.Serialization;
using Clive.Core.Store.Engines;

namespace Clive.Cli.Commands;

/// <summary>
/// `clive engines`: the engines the store knows (<see cref="EngineRegistry"/>): where each runs, what
/// it advertises (labels, job slots, repos) and whether it runs now, checked against its process and heartbeat.
/// </summary>
internal static class EnginesCommand
{
    public static Command Create()
    {
        var json = GlobalOptions.Json();
        var command = new Command("engines", "List the engines the store knows: host, pid, labels, job slots, repos, state and last heartbeat; "
            + "then the engines its models declared on other hosts (Engines.On) and how starting them went") { json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var engines = EngineRegistry.List(store);
            if (result.GetValue(json)) JsonOutput.Write(engines.Select(ToJson).ToList(), EnginesJsonContext.Default.ListEngineEntryJson);
            else Console.Out.Write(Render(engines, DateTimeOffset.UtcNow) + RenderRemote(StartedEngines.Read(store.Directory)));
            return 0;
        });
        return command;
    }

    private static EngineEntryJson ToJson(EngineEntry e) => new(e.Name, e.Advert.Host, e.Advert.Store, e.Advert.Pid, e.Advert.Labels, e.Advert.Jobs,
        e.Advert.AllRepos ? ["*"] : e.Advert.Repos, e.Running ? "running" : "stopped", JsonOutput.Time(e.Since),
        e.Heartbeat is { } beat ? JsonOutput.Time(beat) : null, e.Why);

    private static string Render(IReadOnlyList<EngineEntry> engines, DateTimeOffset now)
    {
        if (engines.Count == 0) return "no engine has run on this store (start one with clive up)\n";
        var text = new StringBuilder();
        foreach (var e in engines)
        {
            var state = e.Running ? $"running since {Local(e.Since)}" : $"stopped since {Local(e.Since)}{(e.Why is { } why ? $" ({why})" : "")}";
            text.AppendLine($"{e.Name}: {state}");
            text.AppendLine($"  pid {e.Advert.Pid} on {e.Advert.Host}, store {e.Advert.Store}");
            text.AppendLine($"  labels {string.Join(", ", e.Advert.Labels)}; {e.Advert.Jobs} job slots");
            text.AppendLine($"  repos {(e.Advert.AllRepos ? "all (--all)" : string.Join(", ", e.Advert.Repos))}");
            if (e.Heartbeat is { } beat) text.AppendLine($"  last heartbeat {Local(beat)} ({Math.Max(0, (now - beat).TotalSeconds):0} s ago)");
        }
        return text.ToString();
    }

    /// <summary>The engines this store's models declared on other hosts (<c>Engines.On</c>), and how starting them went.</summary>
    private static string RenderRemote(IReadOnlyList<RemoteEngineRecord> records)
    {
        if (records.Count == 0) return "";
        var text = new StringBuilder("\non other hosts, declared by models here:\n");
        foreach (var r in records.OrderBy(r => r.Destination, StringComparer.Ordinal).ThenBy(r => r.Repo, StringComparer.Ordinal))
        {
            var state = r.State switch
            {
                RemoteEngineState.Up => r.StartedHere ? "started by this store" : "running (started by its owner)",
                RemoteEngineState.Failed => "not started",
                _ => "no longer declared, not stopped",
            };
            text.AppendLine($"{r.Destination} for '{r.Repo}': {state}, declared by {r.Source} ({Local(r.At)})");
            if (r.Labels.Count > 0) text.AppendLine($"  labels {string.Join(", ", r.Labels)}");
            if (r.Message is { } message) text.AppendLine($"  {Clive.Printable.Of(message, 400)}");
        }
        return text.ToString();
    }

    private static string Local(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}

internal sealed record EngineEntryJson(string Name, string Host, string Store, int Pid, IReadOnlyList<string> Labels, int Jobs, IReadOnlyList<string> Repos,
    string State, string Since, string? LastHeartbeat, string? Why);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(List<EngineEntryJson>))]
internal sealed partial class EnginesJsonContext : JsonSerializerContext;
