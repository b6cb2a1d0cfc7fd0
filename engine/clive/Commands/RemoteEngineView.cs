using Clive.Core.Store.Engines;

namespace Clive.Cli.Commands;

/// <summary>
/// A remote engine as `clive engines` shows it: what the models declared and how starting it went
/// (<see cref="StartedEngines"/>), joined with whether the running engine reaches it now
/// (<see cref="RemoteSessions"/>); an engine given with `--remote` has a session but no declaration.
/// </summary>
internal sealed record RemoteEngineView(string Destination, string Repo, string State, string? DeclaredBy, bool? StartedHere, bool? Reachable,
    string? Host, IReadOnlyList<string> Labels, int? Jobs, DateTimeOffset At, string? Message)
{
    public const string Up = "up", NotStarted = "not-started", StopFailed = "stop-failed", Given = "given";

    public static IReadOnlyList<RemoteEngineView> Of(IReadOnlyList<RemoteEngineRecord> declared, IReadOnlyList<RemoteSessionRecord> sessions)
    {
        var views = new List<RemoteEngineView>();
        foreach (var r in declared)
        {
            var session = sessions.FirstOrDefault(s => s.Destination == r.Destination && s.Repo == r.Repo);
            var state = r.State switch { RemoteEngineState.Up => Up, RemoteEngineState.Failed => NotStarted, _ => StopFailed };
            views.Add(new RemoteEngineView(r.Destination, r.Repo, state, r.Source, r.StartedHere, session?.Reachable, session?.Host,
                session is { Reachable: true, Labels.Count: > 0 } ? session.Labels : r.Labels, r.Jobs, r.At, session is { Reachable: false } ? session.Message : r.Message));
        }
        foreach (var s in sessions.Where(s => !declared.Any(r => r.Destination == s.Destination && r.Repo == s.Repo)))
            views.Add(new RemoteEngineView(s.Destination, s.Repo, Given, null, null, s.Reachable, s.Host, s.Labels, null, s.At, s.Message));
        return views.OrderBy(v => v.Destination, StringComparer.Ordinal).ThenBy(v => v.Repo, StringComparer.Ordinal).ToList();
    }
}
