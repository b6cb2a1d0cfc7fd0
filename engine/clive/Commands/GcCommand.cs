using System.CommandLine;
using Clive.Store.Maintenance;

namespace Clive.Cli.Commands;

internal static class GcCommand
{
    public static Command Create()
    {
        var json = GlobalOptions.Json();
        var command = new Command("gc", "Compact the store: merge packs into one, drop objects no ref reaches") { json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            bool asJson = result.GetValue(json);
            var report = new StoreCompactor(store, asJson ? null : Console.Error.Write).Run();
            if (asJson)
                JsonOutput.Write(report, CliveJson.Default.GcReport);
            else
                Console.Error.WriteLine($"Merged {FsckCommand.Plural(report.PacksBefore, "pack")} into one: {FsckCommand.Plural(report.Objects, "object")} " +
                    $"({FsckCommand.Plural(report.Deltas, "delta")}), {report.Dropped} unreachable dropped; {report.BytesBefore / 1024} KiB -> {report.BytesAfter / 1024} KiB.");
            return 0;
        });
        return command;
    }
}
