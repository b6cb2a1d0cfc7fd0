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
            var remote = RemoteEngineView.Of(StartedEngines.Read(store.Directory), SessionsWhileRunning(store));
            if (result.GetValue(json))
                JsonOutput.Write(engines.Select(ToJson).Concat(remote.Select(ToJson)).ToList(), EnginesJsonContext.Default.ListEngineEntryJson);
            else Console.Out.Write(Render(engines, DateTimeOffset.UtcNow) + RenderRemote(remote));
            return 0;
        });
        return command;
    }

    /// <summary>The running engine's sessions; none when no engine runs (what it last wrote is history then).</summary>
    private static IReadOnlyList<RemoteSessionRecord> SessionsWhileRunning(Clive.Store.CliveStore store)
        => Clive.Store.Cells.EngineLock.Probe(store.Directory).Running ? RemoteSessions.Read(store.Directory) : [];

    private static EngineEntryJson ToJson(EngineEntry e) => new("local", e.Name, e.Advert.Host, e.Advert.Store, e.Advert.Pid, e.Advert.Labels, e.Advert.Jobs,
        e.Advert.AllRepos ? ["*"] : e.Advert.Repos, e.Running ? "running" : "stopped", JsonOutput.Time(e.Since),
        e.Heartbeat is { } beat ? JsonOutput.Time(beat) : null, e.Why);

    private static EngineEntryJson ToJson(RemoteEngineView r) => new("remote", r.Host ?? r.Destination, null, null, null, r.Labels, r.Jobs, [r.Repo],
        r.State, JsonOutput.Time(r.At), null, r.Message)
    {
        Destination = r.Destination,
        DeclaredBy = r.DeclaredBy,
        StartedHere = r.StartedHere,
        Reachable = r.Reachable,
    };

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
    private static string RenderRemote(IReadOnlyList<RemoteEngineView> engines)
    {
        if (engines.Count == 0) return "";
        var text = new StringBuilder("\non other hosts, declared by models here:\n");
        foreach (var r in engines)
        {
            var state = r.State switch
            {
                RemoteEngineView.Up => r.StartedHere == true ? "started by this store" : "running (started by its owner)",
                RemoteEngineView.NotStarted => "not started",
                RemoteEngineView.Given => "given on the command line (--remote)",
                _ => "no longer declared, not stopped",
            };
            text.AppendLine($"{r.Destination} for '{r.Repo}': {state}{(r.DeclaredBy is { } by ? $", declared by {by}" : "")} ({Local(r.At)})");
            if (r.Labels.Count > 0) text.AppendLine($"  labels {string.Join(", ", r.Labels)}");
            if (r.Reachable is { } reachable) text.AppendLine(reachable ? $"  reachable: engine session with {r.Host}" : "  not reachable");
            if (r.Message is { } message) text.AppendLine($"  {Clive.Printable.Of(message, 400)}");
        }
        return text.ToString();
    }

    private static string Local(DateTimeOffset time) => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// One engine of `clive engines --json`: kind "local" (an engine of this store, from its advert) or
/// "remote" (one on another host that this store's engine declared or was given: destination,
/// declared_by, started_here, and reachable while this store's engine runs; its labels are those the
/// far engine said at hello once reached, else those declared; state up, not-started, stop-failed or given).
/// </summary>
internal sealed record EngineEntryJson(string Kind, string Name, string? Host, string? Store, int? Pid, IReadOnlyList<string> Labels, int? Jobs,
    IReadOnlyList<string> Repos, string State, string Since, string? LastHeartbeat, string? Why)
{
    public string? Destination { get; init; }
    public string? DeclaredBy { get; init; }
    public bool? StartedHere { get; init; }
    public bool? Reachable { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(List<EngineEntryJson>))]
internal sealed partial class EnginesJsonContext : JsonSerializerContext;
