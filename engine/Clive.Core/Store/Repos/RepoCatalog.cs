using Clive.Git;
using Clive.Store.Refs;

namespace Clive.Store.Repos;

public sealed record RepoInfo(string Name, DateTimeOffset Created, int RefCount, string? Head);

/// <summary>The repos of a store. Each repo is a ref namespace; objects are shared by all.</summary>
public sealed class RepoCatalog(CliveStore store)
{
    public const string DefaultBranch = "refs/heads/main";

    public IReadOnlyList<RepoInfo> List()
        => store.Connection.Rows("""
            SELECT r.name, r.created,
                   (SELECT count(*) FROM refs f WHERE f.repo_id = r.id AND f.oid IS NOT NULL),
                   (SELECT symref FROM refs f WHERE f.repo_id = r.id AND f.name = 'HEAD')
            FROM repos r ORDER BY r.name
            """)
            .Select(r => new RepoInfo(r.GetString(0), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(1)), r.GetInt32(2),
                r.IsDBNull(3) ? null : r.GetString(3)))
            .ToList();

    public long? TryGetId(string name)
    {
        var id = store.Connection.Scalar<long?>("SELECT id FROM repos WHERE name=$name", ("$name", RepoName.Normalize(name)));
        return id;
    }

    public long GetId(string name) => TryGetId(name) ?? throw new RepoNotFoundException(RepoName.Normalize(name));

    /// <summary>Creates a repo whose HEAD names <paramref name="headTarget"/>. Call inside a write transaction.</summary>
    internal long CreateInTransaction(string name, string headTarget)
    {
        name = RepoName.Normalize(name);
        if (!RefName.IsValid(headTarget) || !headTarget.StartsWith("refs/heads/", StringComparison.Ordinal))
            throw new CliveException($"'{headTarget}' is not a valid branch name for HEAD");
        if (TryGetId(name) is not null) throw new CliveException($"repository '{name}' already exists");
        long id = store.Connection.Scalar<long>("INSERT INTO repos(name, created) VALUES($name, $now) RETURNING id",
            ("$name", name), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        store.Connection.Execute("INSERT INTO refs(repo_id, name, symref) VALUES($repo, 'HEAD', $target)",
            ("$repo", id), ("$target", headTarget));
        return id;
    }

    /// <summary>Creates an empty repo; <paramref name="branch"/> is a branch name or a full ref.</summary>
    public void Create(string name, string branch = DefaultBranch)
    {
        using var transaction = store.BeginWrite();
        CreateInTransaction(name, branch.StartsWith("refs/", StringComparison.Ordinal) ? branch : "refs/heads/" + branch);
        transaction.Commit();
    }

    /// <summary>Deletes a repo and its refs; every deleted ref is an event. Objects stay until gc.</summary>
    public int Delete(string name, string who, string why = "repo delete")
    {
        name = RepoName.Normalize(name);
        using var transaction = store.BeginWrite();
        long id = GetId(name);
        var refs = store.Refs.List(id).Where(r => r.Target is not null).ToList();
        foreach (var r in refs) store.Events.Append(name, r.Name, r.Target!.Value, ObjectId.Zero, who, why);
        store.Connection.Execute("DELETE FROM repos WHERE id=$id", ("$id", id));
        transaction.Committed += store.Events.Signal;
        transaction.Commit();
        return refs.Count;
    }
}
