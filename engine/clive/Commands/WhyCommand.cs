using System.CommandLine;
using Clive.Store.Cells;

namespace Clive.Cli.Commands;

/// <summary>
/// `clive why`: why a cell ran the last time: the fields of its key (files, cells, refs, engine,
/// compiler…) that differ from its previous run's, as BuildXL's cache-miss analysis explains a miss.
/// </summary>
internal static class WhyCommand
{
    public static Command Create()
    {
        var cell = new Argument<string>("cell") { Description = "The cell's name (full, or its last part when that is unique)" };
        var repo = new Option<string?>("--repo") { Description = "The repo, when several have this cell" };
        var branch = new Option<string?>("--branch") { Description = "The branch, when several have this cell" };
        var json = GlobalOptions.Json();
        var command = new Command("why", "Show what changed in a cell's key since its previous run") { cell, repo, branch, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var name = result.GetValue(cell)!;
            var refName = result.GetValue(branch) is { } b ? Clive.Store.Refs.ShortRefName.Branch(b) : null;
            var status = CellFinder.Single(store, name, result.GetValue(repo), refName) ?? throw new CliveException($"no cell '{name}' (see clive status)");
            var runs = store.Cells.KeyedRuns(status.Repo, status.Ref, status.Cell, 2);
            var why = Explain(status, runs);
            if (result.GetValue(json)) JsonOutput.Write(why, CliveJson.Default.WhyJson);
            else Print(why);
            return 0;
        });
        return command;
    }

    private static WhyJson Explain(CellStatus status, IReadOnlyList<(CellRun Run, CellKey Key)> runs)
    {
        var last = runs.Count > 0 ? RunJson.From(runs[0].Run) : null;
        var previous = runs.Count > 1 ? RunJson.From(runs[1].Run) : null;
        // The first run has nothing before it: every field is new.
        var changes = runs.Count switch
        {
            0 => [],
            1 => KeyDiff.Between(new CellKey([]), runs[0].Key),
            _ => KeyDiff.Between(runs[1].Key, runs[0].Key),
        };
        return new WhyJson(status.Repo, status.Ref, status.Cell, last, previous,
            changes.Select(c => new KeyChangeJson(c.What, c.Kind, c.Subject, c.Before, c.After)).ToList());
    }

    private static void Print(WhyJson why)
    {
        var where = $"{why.Cell} in {why.Repo}@{CellRefs.ShortName(why.Ref)}";
        if (why.Run is null)
        {
            Console.WriteLine($"{where} has no recorded run with its key's fields yet");
            return;
        }
        Console.WriteLine(why.Previous is null
            ? $"{where}: run {why.Run.Id} ({why.Run.Started}) is its first: every field of its key is new"
            : $"{where}: run {why.Run.Id} ({why.Run.Started}) against run {why.Previous.Id} ({why.Previous.Started}):");
        if (why.Changes.Count == 0) Console.WriteLine("  the same key (a forced run, or its cached result was dropped by clive gc)");
        foreach (var change in why.Changes)
        {
            var field = change.Subject.Length == 0 ? change.Field : $"{change.Field} {change.Subject}";
            Console.WriteLine(change.Change switch
            {
                "added" => $"  added    {field}: {change.After}",
                "removed" => $"  removed  {field}: {change.Before}",
                _ => $"  changed  {field}: {change.Before} -> {change.After}",
            });
        }
    }
}

internal sealed record WhyJson(string Repo, string Ref, string Cell, RunJson? Run, RunJson? Previous, IReadOnlyList<KeyChangeJson> Changes);

internal sealed record RunJson(long Id, string Started, string State, string Key)
{
    public static RunJson From(CellRun run) => new(run.Id, JsonOutput.Time(run.Started), run.State, Convert.ToHexStringLower(run.Key));
}

internal sealed record KeyChangeJson(string Change, string Field, string Subject, string? Before, string? After);
