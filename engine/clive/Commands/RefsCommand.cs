using System.CommandLine;

namespace Clive.Cli.Commands;

internal static class RefsCommand
{
    public static Command Create()
    {
        var repo = new Argument<string>("repo") { Description = "Repo name" };
        var json = GlobalOptions.Json();
        var command = new Command("refs", "List a repo's refs, like git show-ref (HEAD shown as the ref it names)") { repo, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            long id = store.Repos.GetId(result.GetValue(repo)!);
            var refs = store.Refs.List(id);
            if (result.GetValue(json))
            {
                JsonOutput.Write(refs.Select(r => new RefJson(r.Name, r.Target?.ToString(), r.SymbolicTarget)).ToList(), CliveJson.Default.ListRefJson);
                return 0;
            }
            foreach (var r in refs)
                Console.WriteLine(r.SymbolicTarget is { } target ? $"ref: {target}\t{r.Name}" : $"{r.Target}\t{r.Name}");
            return 0;
        });
        return command;
    }
}
