using System.CommandLine;
using Clive.Store;
using Clive.Store.Refs;

namespace Clive.Cli.Commands;

internal static class LogCommand
{
    public static Command Create()
    {
        var repo = new Argument<string>("repo") { Description = "Repo name" };
        var refName = new Argument<string?>("ref") { Description = "A ref (refs/heads/main, main, HEAD); default: every ref", Arity = ArgumentArity.ZeroOrOne };
        var limit = new Option<int>("--max-count", "-n") { Description = "Show at most this many entries", DefaultValueFactory = _ => 100 };
        var json = GlobalOptions.Json();
        var command = new Command("log", "Show the reflog of a repo: old and new value, when, who, why; newest first") { repo, refName, limit, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var name = Clive.Store.Repos.RepoName.Normalize(result.GetValue(repo)!);
            long id = store.Repos.GetId(name);
            var full = result.GetValue(refName) is { } r ? FullRefName(store, name, id, r) : null;
            var entries = store.Events.Log(name, full, result.GetValue(limit));
            if (full is not null && entries.Count == 0 && store.Refs.Get(id, full) is null)
                throw new CliveException($"no ref '{result.GetValue(refName)}' in '{name}', and no log of one");
            if (result.GetValue(json))
            {
                JsonOutput.Write(entries.Select(EventJson.From).ToList(), CliveJson.Default.ListEventJson);
                return 0;
            }
            foreach (var e in entries)
                Console.WriteLine($"{e.Sequence,6} {e.Time.ToLocalTime():yyyy-MM-dd HH:mm:ss} {Short(e.Old)}..{Short(e.New)} {e.Ref}  {e.Who}: {e.Why}");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// The ref whose log to show: the first of git's candidates that exists or has a log (so a
    /// deleted branch's log can still be read). HEAD is HEAD's own log, as in `git reflog HEAD`.
    /// </summary>
    private static string FullRefName(CliveStore store, string repo, long repoId, string name)
        => ShortRefName.Find(name, c => store.Refs.Exists(repoId, c) || store.Events.Log(repo, c, 1).Count > 0)
           ?? ShortRefName.Branch(name);

    private static string Short(Clive.Git.ObjectId id) => id.IsZero ? "0000000" : id.ToString()[..7];
}

/// <summary>A ref change for scripts: <c>old</c> is null for a creation, <c>new</c> null for a deletion.</summary>
internal sealed record EventJson(long Seq, string Repo, string Ref,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? Old,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)] string? New,
    string Time, string Who, string Why)
{
    public static EventJson From(RefEvent e) => new(e.Sequence, e.Repo, e.Ref,
        e.Old.IsZero ? null : e.Old.ToString(), e.New.IsZero ? null : e.New.ToString(), JsonOutput.Time(e.Time), e.Who, e.Why);
}
