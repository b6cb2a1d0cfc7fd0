using System.CommandLine;
using Clive.Store.Maintenance;

namespace Clive.Cli.Commands;

internal static class FsckCommand
{
    public static Command Create()
    {
        var json = GlobalOptions.Json();
        var command = new Command("fsck", "Verify the store: pack checksums, every object's hash and form, connectivity, refs") { json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            bool asJson = result.GetValue(json);
            var report = new StoreChecker(store, asJson ? null : Console.Error.Write).Run();
            if (asJson)
                JsonOutput.Write(new FsckJson(report.Clean, report.Packs, report.Objects, report.Refs, report.Problems), CliveJson.Default.FsckJson);
            else
            {
                foreach (var problem in report.Problems) Console.WriteLine("error: " + problem);
                Console.Error.WriteLine(report.Clean
                    ? $"Store is clean: {Plural(report.Packs, "pack")}, {Plural(report.Objects, "object")}, {Plural(report.Refs, "ref")}."
                    : $"{Plural(report.Problems.Count, "problem")} found.");
            }
            return report.Clean ? 0 : 1;
        });
        return command;
    }

    internal static string Plural(long count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";
}
