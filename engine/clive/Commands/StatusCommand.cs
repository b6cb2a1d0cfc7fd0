using System.CommandLine;
using System.Text;
using Clive.Store;
using Clive.Store.Cells;

namespace Clive.Cli.Commands;

/// <summary>`clive status` and `clive watch`: every cell of every watched ref, as the engine last wrote it.</summary>
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
            var refs = Collect(store, result.GetValue(repo), result.GetValue(branch));
            if (result.GetValue(json)) JsonOutput.Write(refs, CliveJson.Default.ListRefStatusJson);
            else Console.Out.Write(Render(refs));
            // Scripts can tell: a model that does not load is a failure (its state says which, in --json too).
            return refs.Any(r => r.Model?.State == "error") ? 1 : 0;
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
                var text = Render(Collect(store, result.GetValue(repo), result.GetValue(branch)));
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

    private static List<RefStatusJson> Collect(CliveStore store, string? repo, string? branch)
    {
        var refName = branch is null ? null : Clive.Store.Refs.ShortRefName.Branch(branch);
        if (repo is not null) store.Repos.GetId(repo);
        var models = store.Cells.Models(repo).Where(m => refName is null || m.Ref == refName).ToList();
        var cells = store.Cells.Statuses(repo, refName);
        var result = new List<RefStatusJson>();
        foreach (var group in cells.GroupBy(c => (c.Repo, c.Ref)).Select(g => g.Key).Union(models.Select(m => (m.Repo, m.Ref))).Distinct().Order())
        {
            var model = models.FirstOrDefault(m => m.Repo == group.Repo && m.Ref == group.Ref);
            result.Add(new RefStatusJson(group.Repo, group.Ref,
                model is null ? null : new ModelJson(model.State, model.Source.ToString(), model.Cells, model.Diagnostics, JsonOutput.Time(model.Updated)),
                cells.Where(c => c.Repo == group.Repo && c.Ref == group.Ref).Select(CellJson.From).ToList()));
        }
        return result;
    }

    private static string Render(List<RefStatusJson> refs)
    {
        var text = new StringBuilder();
        if (refs.Count == 0) text.Append("no cells yet: run `clive up`, and push a repo with a clive.csx\n");
        foreach (var r in refs)
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

    private static string Duration(long ms) => ms >= 1000 ? $"{ms / 1000.0:0.0} s" : $"{ms} ms";
}

internal sealed record RefStatusJson(string Repo, string Ref, ModelJson? Model, List<CellJson> Cells);

internal sealed record ModelJson(string State, string Source, int Cells, string? Diagnostics, string Updated);

internal sealed record CellJson(string Name, string State, long? DurationMs, long Runs, string? Key, string? Output, string? Result, string? Source,
    string? Started, string? Finished, string? Message, int? Pid)
{
    public static CellJson From(CellStatus s) => new(s.Cell, s.State, s.DurationMs, s.Runs, s.Key is null ? null : Convert.ToHexStringLower(s.Key),
        s.Output?.ToString(), s.Result?.ToString(), s.Source?.ToString(), s.Started is { } started ? JsonOutput.Time(started) : null,
        s.Finished is { } finished ? JsonOutput.Time(finished) : null, s.Message, s.Pid);
}
