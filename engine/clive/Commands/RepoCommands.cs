using System.CommandLine;

namespace Clive.Cli.Commands;

internal static class RepoCommands
{
    public static Command Create()
    {
        var repo = new Command("repo", "List, create and delete the repos of the store");
        repo.Subcommands.Add(List());
        repo.Subcommands.Add(CreateRepo());
        repo.Subcommands.Add(Delete());
        return repo;
    }

    private static Command List()
    {
        var json = GlobalOptions.Json();
        var command = new Command("list", "List the repos of the store") { json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var repos = store.Repos.List();
            if (result.GetValue(json))
            {
                JsonOutput.Write(repos.Select(r => new RepoJson(r.Name, JsonOutput.Time(r.Created), r.RefCount, r.Head)).ToList(), CliveJson.Default.ListRepoJson);
                return 0;
            }
            foreach (var r in repos) Console.WriteLine(r.Name);
            return 0;
        });
        return command;
    }

    private static Command CreateRepo()
    {
        var name = new Argument<string>("name") { Description = "Repo name, e.g. demo or team/app" };
        var branch = new Option<string>("--branch", "-b") { Description = "The branch HEAD names", DefaultValueFactory = _ => "main" };
        var command = new Command("create", "Create an empty repo (a push to a new name creates one too)") { name, branch };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenOrCreateStore(result);
            store.Repos.Create(result.GetValue(name)!, Clive.Access.Principal.Owner.Name, result.GetValue(branch)!);
            return 0;
        });
        return command;
    }

    private static Command Delete()
    {
        var name = new Argument<string>("name") { Description = "Repo name" };
        var command = new Command("delete", "Delete a repo and its refs (objects go at the next gc)") { name };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            int refs = store.Repos.Delete(result.GetValue(name)!, Clive.Access.Principal.Owner.Name);
            Console.Error.WriteLine($"Deleted repo '{result.GetValue(name)}' ({refs} ref{(refs == 1 ? "" : "s")}).");
            return 0;
        });
        return command;
    }
}
