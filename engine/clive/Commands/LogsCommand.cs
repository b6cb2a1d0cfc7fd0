using System.CommandLine;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Cli.Commands;

/// <summary>`clive logs`: what a cell printed on its last run (a service: its log so far).</summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var cell = new Argument<string>("cell") { Description = "The cell's name (full, or its last part when that is unique)" };
        var repo = new Option<string?>("--repo") { Description = "The repo, when several have this cell" };
        var branch = new Option<string?>("--branch") { Description = "The branch, when several have this cell" };
        var command = new Command("logs", "Show a cell's output (stdout, then stderr) from its last run") { cell, repo, branch };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var name = result.GetValue(cell)!;
            var refName = result.GetValue(branch) is { } b ? Clive.Store.Refs.ShortRefName.Branch(b) : null;
            var status = CellFinder.Single(store, name, result.GetValue(repo), refName) ?? throw new CliveException($"no cell '{name}' (see clive status)");
            if (status.LogPath is { } path && File.Exists(path))
            {
                using var log = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var stdout = Console.OpenStandardOutput();
                log.CopyTo(stdout);
                return 0;
            }
            if (status.Result is not { } commit)
            {
                Console.Error.WriteLine($"{status.Cell} is {status.State}: {(status.State == CellState.Running ? "its log is stored when it finishes" : "it has no log yet")}");
                return status.State == CellState.Running ? 0 : 1;
            }
            var logs = TreeParser.Entries(store.Objects.Read(store.Objects.ReadCommit(commit).Tree, ObjectType.Tree))
                .ToDictionary(e => System.Text.Encoding.UTF8.GetString(e.Name.Span), e => e.Id);
            using (var stdout = Console.OpenStandardOutput())
            {
                foreach (var file in new[] { "stdout", "stderr" })
                    if (logs.TryGetValue(file, out var blob)) stdout.Write(store.Objects.Read(blob, ObjectType.Blob));
            }
            return 0;
        });
        return command;
    }
}
