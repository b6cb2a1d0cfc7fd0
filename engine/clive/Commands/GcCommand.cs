using System.CommandLine;
using System.Text.RegularExpressions;
using Clive.Store.Maintenance;

namespace Clive.Cli.Commands;

internal static partial class GcCommand
{
    public static Command Create()
    {
        var json = GlobalOptions.Json();
        var keepResults = new Option<string>("--keep-results")
        {
            Description = "Keep the engine's cached results that finished within this age even when no ref shows them (2w, 3d, 12h, 30m, now)",
            DefaultValueFactory = _ => "2w",
        };
        var wait = new Option<string>("--wait")
        {
            Description = "How long to wait for a moment with no push in flight before holding new pushes back until those in flight are done (2w, 3d, 12h, 30m, 10s, now)",
            DefaultValueFactory = _ => "1m",
        };
        var command = new Command("gc", "Compact the store: merge packs into one, drop objects no ref, pending edit or kept cell result reaches. Pushes and fetches go on meanwhile")
            { json, keepResults, wait };
        command.SetAction(result =>
        {
            // Parsed before the store is opened: a bad age changes nothing.
            var keep = ParseAge(result.GetValue(keepResults)!, "--keep-results");
            var patience = ParseAge(result.GetValue(wait)!, "--wait");
            using var store = GlobalOptions.OpenStore(result);
            bool asJson = result.GetValue(json);
            var report = new StoreCompactor(store, asJson ? null : Console.Error.Write).Run(keep, patience);
            if (asJson)
                JsonOutput.Write(report, CliveJson.Default.GcReport);
            else
                Console.Error.WriteLine($"Merged {FsckCommand.Plural(report.PacksBefore, "pack")} into one: {FsckCommand.Plural(report.Objects, "object")} " +
                    $"({FsckCommand.Plural(report.Deltas, "delta")}), {report.Dropped} unreachable dropped, " +
                    $"{FsckCommand.Plural(report.ResultsDropped, "cached result")} forgotten; {report.BytesBefore / 1024} KiB -> {report.BytesAfter / 1024} KiB.");
            return 0;
        });
        return command;
    }

    /// <summary>An age as gc takes it: a number and a unit (s, m, h, d, w), or "now".</summary>
    internal static TimeSpan ParseAge(string text, string option)
    {
        if (text == "now") return TimeSpan.Zero;
        var match = AgePattern().Match(text);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, out int n))
            throw new CliveException($"{option}: '{Printable.Of(text)}' is not an age (e.g. 2w, 3d, 12h, 30m, now)");
        return match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => TimeSpan.FromDays(7.0 * n),
        };
    }

    [GeneratedRegex("^([0-9]{1,6})([smhdw])$")]
    private static partial Regex AgePattern();
}
