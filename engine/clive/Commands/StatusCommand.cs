using System.CommandLine;
using System.Text;
using Clive.Store;
using Clive.Interop;
using Clive.Store.Cells;

namespace Clive.Cli.Commands;

/// <summary>
/// `clive status` and `clive watch`: every cell of every watched ref, as the engine last wrote it,
/// and whether an engine runs now: when none does, what it left "running" is shown as stopped.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var repo = new Argument<string?>("repo") { Description = "Only this repo", Arity = ArgumentArity.ZeroOrOne };
        var branch = new Option<string?>("--branch") { Description = "Only this branch" };
        var json = GlobalOptions.Json();
        var command = new Command("status", "Show every cell: state, last duration, runs, key and output") { repo, branch, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var status = Collect(store, result.GetValue(repo), result.GetValue(branch));
            if (result.GetValue(json)) JsonOutput.Write(status, CliveJson.Default.StatusJson);
            else Console.Out.Write(Render(status, DateTimeOffset.Now));
            // Scripts can tell: a model that does not load is a failure (its state says which, in --json too).
            return status.Refs.Any(r => r.Model?.State == "error") ? 1 : 0;
        });
        return command;
    }

    public static Command Watch()
    {
        var repo = new Argument<string?>("repo") { Description = "Only this repo", Arity = ArgumentArity.ZeroOrOne };
        var branch = new Option<string?>("--branch") { Description = "Only this branch" };
        var command = new Command("watch", "Show `clive status` live, updated in place as cells run, until Ctrl-C") { repo, branch };
        command.SetAction((result, cancel) =>
        {
            using var store = GlobalOptions.OpenStore(result);
            bool terminal = !Console.IsOutputRedirected;
            string shown = "";
            while (!cancel.IsCancellationRequested)
            {
                // No "… s ago" here: it would make every second a new state to print.
                var text = Render(Collect(store, result.GetValue(repo), result.GetValue(branch)), now: null);
                if (text != shown)
                {
                    // On a terminal: redraw in place (home, clear below). Piped: each new state once.
                    Console.Out.Write(terminal ? "\x1b[H\x1b[J" + text : text + "\n");
                    Console.Out.Flush();
                    shown = text;
                }
                try { Task.Delay(200, cancel).Wait(cancel); }
                catch (OperationCanceledException) { break; }
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static StatusJson Collect(CliveStore store, string? repo, string? branch)
    {
        var refName = branch is null ? null : Clive.Store.Refs.ShortRefName.Branch(branch);
        if (repo is not null) repo = Clive.Store.Repos.RepoName.Normalize(repo);
        if (repo is not null) store.Repos.GetId(repo);
        var engine = EngineLock.Probe(store.Directory);
        var models = store.Cells.Models(repo).Where(m => refName is null || m.Ref == refName).ToList();
        // With the state unknown an engine may be running: its rows are shown as it wrote them.
        var cells = store.Cells.Statuses(repo, refName).Select(c => engine.Running || engine.Unknown is not null ? c : AfterTheEngine(c)).ToList();
        var result = new List<RefStatusJson>();
        foreach (var group in cells.GroupBy(c => (c.Repo, c.Ref)).Select(g => g.Key).Union(models.Select(m => (m.Repo, m.Ref))).Distinct().Order())
        {
            var model = models.FirstOrDefault(m => m.Repo == group.Repo && m.Ref == group.Ref);
            result.Add(new RefStatusJson(group.Repo, group.Ref,
                model is null ? null : new ModelJson(model.State, model.Source.ToString(), model.Cells, model.Diagnostics, JsonOutput.Time(model.Updated)),
                cells.Where(c => c.Repo == group.Repo && c.Ref == group.Ref).Select(CellJson.From).ToList()));
        }
        var lastSeen = engine.Running || engine.Stopped is not null || engine.Unknown is not null ? null
            : cells.SelectMany(c => new[] { c.Started, c.Finished }).Concat(models.Select(m => (DateTimeOffset?)m.Updated)).Append(engine.Started).Max();
        var engineJson = new EngineJson(engine.Running, engine.Pid, Time(engine.Started), Time(engine.Stopped), Time(lastSeen), engine.Unknown);
        var conflicts = EntityConflicts(store, repo);
        return new StatusJson(engineJson, result, result.Count == 0 ? StatusScope.Explain(store, repo, refName) : null, conflicts);
    }

    /// <summary>Entities whose diverged version is kept aside (null when none): nothing is lost, and status says so.</summary>
    private static List<EntityConflictJson>? EntityConflicts(CliveStore store, string? repo)
    {
        var repos = repo is null ? store.Repos.List().Select(r => r.Name) : [repo];
        var conflicts = repos.SelectMany(r => store.Entities.Conflicts(r).Select(c => new EntityConflictJson(r, c.Name, c.Ours?.ToString(), c.Theirs.ToString(), store.Entities.ConflictReason(r, c.Name)))).ToList();
        return conflicts.Count == 0 ? null : conflicts;
    }

    /// <summary>
    /// With no engine running, nothing it ran is running: a row it left saying so (an engine killed
    /// with -9 writes no last word) is shown stopped, or, when its process outlived the engine, as that.
    /// </summary>
    private static CellStatus AfterTheEngine(CellStatus cell)
    {
        if (cell.State is not (CellState.Queued or CellState.Running or CellState.Serving)) return cell;
        if (cell.Pid is { } pid && cell.PidStart is { } start && ProcessIdentity.IsAlive(pid, start))
            return cell with { State = CellState.Stopped, Message = $"pid {pid} outlived the engine; the next clive up stops it" };
        return cell with { State = CellState.Stopped, Message = $"was {cell.State} when the engine stopped", Pid = null };
    }

    private static string? Time(DateTimeOffset? time) => time is { } t ? JsonOutput.Time(t) : null;

    private static string Render(StatusJson status, DateTimeOffset? now)
    {
        var text = new StringBuilder();
        text.Append(EngineLine(status.Engine, now)).Append('\n');
        if (status.Note is { } note) text.Append(note).Append('\n');
        foreach (var c in status.EntityConflicts ?? [])
            text.Append(EntityCommands.ConflictLine(c.Repo, c.Name, Clive.Git.ObjectId.Parse(c.Theirs), c.Reason)).Append('\n');
        foreach (var r in status.Refs)
        {
            text.Append($"{r.Repo}@{CellRefs.ShortName(r.Ref)}");
            if (r.Model is { } model)
                text.Append(model.State switch
                {
                    "ok" => $"  model at {model.Source[..12]}: {model.Cells} cells",
                    "refused" => $"  model at {model.Source[..12]} is not run (who pushed it may not have models run)",
                    _ => $"  model at {model.Source[..12]} does not load; the last good one runs",
                });
            text.Append('\n');
            if (r.Model?.Diagnostics is { } diagnostics)
                foreach (var line in diagnostics.Split('\n')) text.Append("  ! ").Append(line).Append('\n');
            var rows = new List<string[]> { new[] { "CELL", "STATE", "DURATION", "RUNS", "KEY", "OUTPUT", "" } };
            rows.AddRange(r.Cells.Select(c => new[]
            {
                c.Name, c.State, c.DurationMs is { } ms ? Duration(ms) : "-", c.Runs.ToString(), c.Key?[..12] ?? "-", c.Output?[..12] ?? "-",
                c.Message ?? (c.Pid is { } pid ? $"pid {pid}" : ""),
            }));
            var widths = Enumerable.Range(0, 6).Select(i => rows.Max(row => row[i].Length)).ToArray();
            foreach (var row in rows)
                text.Append(("  " + string.Join("  ", row.Take(6).Select((cell, i) => cell.PadRight(widths[i]))) + "  " + row[6]).TrimEnd()).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>"engine running (pid 12, since 2026-01-02 10:02:03 (5 s ago))", or since when none has run; without "ago" when <paramref name="now"/> is null.</summary>
    private static string EngineLine(EngineJson engine, DateTimeOffset? now)
    {
        string When(string time)
        {
            var at = DateTimeOffset.Parse(time, System.Globalization.CultureInfo.InvariantCulture);
            if (now is null) return $"{at.ToLocalTime():yyyy-MM-dd HH:mm:ss}";
            var ago = now.Value - at;
            var span = ago.TotalSeconds < 90 ? $"{Math.Max(0, (int)ago.TotalSeconds)} s" : ago.TotalMinutes < 90 ? $"{(int)ago.TotalMinutes} min"
                : ago.TotalHours < 36 ? $"{(int)ago.TotalHours} h" : $"{(int)ago.TotalDays} days";
            return $"{at.ToLocalTime():yyyy-MM-dd HH:mm:ss} ({span} ago)";
        }
        if (engine.Unknown is { } why) return $"engine state unknown: {why}; the next clive up replaces it";
        if (engine.Running) return engine.Started is { } started ? $"engine running (pid {engine.Pid}, since {When(started)})" : "engine running";
        if (engine.Stopped is { } stopped) return $"no engine is running: the last one stopped {When(stopped)}";
        if (engine.LastSeen is { } seen)
            return $"no engine is running: the last one{(engine.Pid is { } pid ? $" (pid {pid})" : "")} ended without stopping, last seen {When(seen)}";
        return "no engine is running (none has run on this store: clive up --repo NAME)";
    }

    private static string Duration(long ms) => ms >= 1000 ? $"{ms / 1000.0:0.0} s" : $"{ms} ms";
}

/// <summary>`clive status --json`: whether an engine runs, every watched ref, and why there are none when there are none.</summary>
internal sealed record StatusJson(EngineJson Engine, List<RefStatusJson> Refs, string? Note, List<EntityConflictJson>? EntityConflicts = null);

/// <summary>An entity in conflict: <c>ours</c> is its version, <c>theirs</c> the other store's, kept at refs/clive/conflicts/entities/&lt;name&gt;.</summary>
internal sealed record EntityConflictJson(string Repo, string Name, string? Ours, string Theirs, string? Reason);

/// <summary>
/// The store's engine: running or not, its process, when it started, and when it stopped (cleanly) or was last seen (killed);
/// or, when its state file cannot be read, why nothing is known (running is then false only because nobody can tell).
/// </summary>
internal sealed record EngineJson(bool Running, int? Pid, string? Started, string? Stopped, string? LastSeen, string? Unknown);

internal sealed record RefStatusJson(string Repo, string Ref, ModelJson? Model, List<CellJson> Cells);

internal sealed record ModelJson(string State, string Source, int Cells, string? Diagnostics, string Updated);

internal sealed record CellJson(string Name, string State, long? DurationMs, long Runs, string? Key, string? Output, string? Result, string? Source,
    string? Started, string? Finished, string? Message, int? Pid)
{
    public static CellJson From(CellStatus s) => new(s.Cell, s.State, s.DurationMs, s.Runs, s.Key is null ? null : Convert.ToHexStringLower(s.Key),
        s.Output?.ToString(), s.Result?.ToString(), s.Source?.ToString(), s.Started is { } started ? JsonOutput.Time(started) : null,
        s.Finished is { } finished ? JsonOutput.Time(finished) : null, s.Message, s.Pid);
}
