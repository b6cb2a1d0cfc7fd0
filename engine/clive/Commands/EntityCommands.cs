using System.CommandLine;
using System.Text;
using System.Text.Json;
using Clive.Core.Store.Entities;
using Clive.Core.Values;
using Clive.Git;
using Clive.Store;

namespace Clive.Cli.Commands;

/// <summary>
/// `clive entity get|set|log|watch|list`: entities as JSON for people and scripts. The CLI acts as
/// the store's owner; other identities reach entities as refs, through git fetch and push.
/// </summary>
internal static class EntityCommands
{
    public static Command Create()
    {
        var entity = new Command("entity", "Read and change a repo's entities: named, typed, versioned values (refs/clive/entities/<name>)");
        entity.Subcommands.Add(Get());
        entity.Subcommands.Add(Set());
        entity.Subcommands.Add(Log());
        entity.Subcommands.Add(Watch());
        entity.Subcommands.Add(List());
        return entity;
    }

    private static Argument<string> RepoArgument() => new("repo") { Description = "Repo name" };

    private static Argument<string> NameArgument() => new("name") { Description = "Entity name, e.g. inventory or deploys/prod" };

    private static Command Get()
    {
        var (repo, name, json) = (RepoArgument(), NameArgument(), GlobalOptions.Json());
        var command = new Command("get", "Print an entity's value as JSON (--json: with its version, author, time and message)") { repo, name, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var (repoName, entityName) = Names(result, repo, name);
            var version = store.Entities.Read(repoName, entityName) ?? throw new EntityNotFoundException(repoName, entityName);
            var conflict = store.Entities.Conflict(repoName, entityName);
            var reason = store.Entities.ConflictReason(repoName, entityName);
            if (result.GetValue(json)) JsonOutput.Write(EntityVersionJson.From(version, conflict, withValue: true) with { ConflictReason = reason }, CliveJson.Default.EntityVersionJson);
            else Console.Out.Write(version.Json);
            if (conflict is { } theirs) Console.Error.WriteLine(ConflictLine(repoName, entityName, theirs, reason));
            return 0;
        });
        return command;
    }

    private static Command Set()
    {
        var (repo, name) = (RepoArgument(), NameArgument());
        var file = new Argument<string?>("file") { Description = "A JSON file with the new value; default (or -): standard input", Arity = ArgumentArity.ZeroOrOne };
        var expect = new Option<string?>("--expect") { Description = "The version the change is made on (a commit id, or 'none' for a new entity); default: the current one, read just before" };
        var message = new Option<string?>("--message", "-m") { Description = "Why: the version's message" };
        var command = new Command("set", "Write a new version of an entity from JSON, checked against the type its model declares") { repo, name, file, expect, message };
        command.SetAction(result =>
        {
            var (repoName, entityName) = Names(result, repo, name);
            var expected = result.GetValue(expect) is { } text ? ParseVersion(text) : (ObjectId?)null;
            var json = InputText.Read(result.GetValue(file), ValueLimits.MaxBytes, "the JSON");
            using var store = GlobalOptions.OpenStore(result);
            var identity = UserIdentity.Resolve();
            var version = EntityEdit.Save(store, repoName, entityName, json, expected, identity.Identity,
                result.GetValue(message) ?? "clive entity set", Clive.Access.Principal.Owner.Name);
            Console.WriteLine(version);
            return 0;
        });
        return command;
    }

    private static Command Log()
    {
        var (repo, name, json) = (RepoArgument(), NameArgument(), GlobalOptions.Json());
        var limit = new Option<int>("--max-count", "-n") { Description = "Show at most this many versions", DefaultValueFactory = _ => 100 };
        var command = new Command("log", "Show an entity's versions, newest first: who, when, why, and the cell and key when a cell wrote it") { repo, name, limit, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var (repoName, entityName) = Names(result, repo, name);
            var versions = store.Entities.Log(repoName, entityName, result.GetValue(limit)).ToList();
            if (result.GetValue(json))
            {
                JsonOutput.Write(versions.Select(v => EntityVersionJson.From(v, null, withValue: false)).ToList(), CliveJson.Default.ListEntityVersionJson);
                return 0;
            }
            foreach (var v in versions) Console.Out.Write(Describe(v));
            return 0;
        });
        return command;
    }

    private static Command Watch()
    {
        var (repo, name, json) = (RepoArgument(), NameArgument(), GlobalOptions.Json());
        var command = new Command("watch", "Print an entity's current version, then each new one as it is written, until Ctrl-C (--json: one object per line)") { repo, name, json };
        command.SetAction((result, cancel) =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var (repoName, entityName) = Names(result, repo, name);
            var refName = EntityName.RefOf(entityName);
            bool asJson = result.GetValue(json);
            using var follower = store.Events.Follow();
            // The position first, then the current version: a version written in between is printed twice rather than missed.
            long last = store.Events.Latest();
            if (store.Entities.Read(repoName, entityName) is { } current) Print(current, asJson);
            else Console.Error.WriteLine($"entity '{entityName}' has no version yet; waiting for one");
            Console.Out.Flush();
            while (!cancel.IsCancellationRequested)
            {
                try { follower.WaitForNext(last, cancel); }
                catch (OperationCanceledException) { break; }
                foreach (var e in store.Events.Since(last))
                {
                    last = e.Sequence;
                    if (e.Repo != repoName || e.Ref != refName) continue;
                    if (e.New.IsZero) Console.Error.WriteLine($"entity '{entityName}' was deleted ({e.Who}: {e.Why})");
                    else Print(store.Entities.ReadVersion(entityName, e.New), asJson);
                }
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command List()
    {
        var (repo, json) = (RepoArgument(), GlobalOptions.Json());
        var command = new Command("list", "List a repo's entities and their current versions") { repo, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var repoName = Clive.Store.Repos.RepoName.Normalize(result.GetValue(repo)!);
            var entities = store.Entities.List(repoName);
            if (result.GetValue(json))
            {
                JsonOutput.Write(entities.Select(e => new EntityHeadJson(e.Name, e.Commit.ToString())).ToList(), CliveJson.Default.ListEntityHeadJson);
                return 0;
            }
            foreach (var e in entities) Console.WriteLine($"{e.Commit.ToString()[..12]} {e.Name}");
            return 0;
        });
        return command;
    }

    /// <summary>What `clive entity get` and `clive status` say of an entity whose diverged version is kept aside.</summary>
    internal static string ConflictLine(string repo, string name, ObjectId theirs, string? reason) =>
        $"warning: entity '{name}' of {repo} is in conflict: another store's version {theirs.ToString()[..12]} is kept at " +
        $"{EntityName.ConflictPrefix}{name} ({reason ?? "no merge function for its type, or it reported a conflict"}); merge them and clive entity set";

    private static (string Repo, string Name) Names(ParseResult result, Argument<string> repo, Argument<string> name) =>
        (Clive.Store.Repos.RepoName.Normalize(result.GetValue(repo)!), EntityName.Check(result.GetValue(name)!));

    private static ObjectId ParseVersion(string text)
    {
        if (text is "none" or "0") return ObjectId.Zero;
        return ObjectId.TryParse(text, out var id) ? id : throw new UsageException($"--expect: '{Printable.Of(text)}' is not a full commit id (40 hex digits) or 'none'");
    }

    /// <summary>The new value's JSON, from a file or standard input, as strict UTF-8 within the size limit.</summary>
    private static void Print(EntityVersion version, bool json)
    {
        if (json) JsonOutput.WriteLine(EntityVersionJson.From(version, null, withValue: true), CliveJson.Default.EntityVersionJson);
        else Console.Out.Write(Describe(version) + version.Json + "\n");
        Console.Out.Flush();
    }

    private static string Describe(EntityVersion v)
    {
        var text = new StringBuilder();
        text.Append($"version {v.Commit}{(v.Parents.Count > 1 ? " (merge)" : "")}\n");
        text.Append($"Author: {v.Author}\n");
        text.Append($"Date:   {v.Time:yyyy-MM-dd HH:mm:ss zzz}\n");
        if (v.Message.Cell is { } cell) text.Append($"Cell:   {cell}\n");
        if (v.Message.Key is { } key) text.Append($"Key:    {key}\n");
        text.Append($"\n    {v.Message.Summary}\n\n");
        return text.ToString();
    }
}

/// <summary>An entity version for scripts; <c>value</c> is the value itself (get, watch), <c>conflict</c> the kept diverged version.</summary>
internal sealed record EntityVersionJson(string Name, string Version, List<string> Parents, string Author, string Time, string Message,
    string? Cell, string? Key, string? Conflict, JsonElement? Value)
{
    /// <summary>Why the entity is in conflict (the merge function's report, or that its type has none).</summary>
    public string? ConflictReason { get; init; }

    public static EntityVersionJson From(EntityVersion v, ObjectId? conflict, bool withValue)
    {
        JsonElement? value = null;
        if (withValue)
        {
            using var document = JsonDocument.Parse(v.Json, new JsonDocumentOptions { MaxDepth = ValueLimits.MaxDepth + 1 });
            value = document.RootElement.Clone();
        }
        return new(v.Name, v.Commit.ToString(), v.Parents.Select(p => p.ToString()).ToList(), v.Author, JsonOutput.Time(v.Time),
            v.Message.Summary, v.Message.Cell, v.Message.Key, conflict?.ToString(), value);
    }
}

internal sealed record EntityHeadJson(string Name, string Version);
