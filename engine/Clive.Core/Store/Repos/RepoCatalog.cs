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

    /// <summary>Adds the repo's row; <see cref="RefTransaction.CreateRepo"/> then sets its HEAD (an event, like any ref change).</summary>
    internal long Insert(string name, string headTarget)
    {
        name = RepoName.Normalize(name);
        if (!RefName.IsValid(headTarget) || !headTarget.StartsWith(ShortRefName.HeadsPrefix, StringComparison.Ordinal))
            throw new CliveException($"'{headTarget}' is not a valid branch name for HEAD");
        if (TryGetId(name) is not null) throw new CliveException($"repository '{name}' already exists");
        return store.Connection.Scalar<long>("INSERT INTO repos(name, created) VALUES($name, $now) RETURNING id",
            ("$name", name), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    }

    /// <summary>Removes the repo's row and, by cascade, its refs: <see cref="RefTransaction.DeleteRepo"/> records their events first.</summary>
    internal void Remove(long id) => store.Connection.Execute("DELETE FROM repos WHERE id=$id", ("$id", id));

    /// <summary>Creates an empty repo; <paramref name="branch"/> is a branch name or a full ref.</summary>
    public void Create(string name, string who, string branch = DefaultBranch)
    {
        using var transaction = store.BeginRefTransaction(who, "repo create");
        transaction.CreateRepo(name, ShortRefName.Branch(branch));
        transaction.Commit();
    }

    /// <summary>Deletes a repo and its refs; every deleted ref is an event. Objects stay until gc.</summary>
    public int Delete(string name, string who, string why = "repo delete")
    {
        using var transaction = store.BeginRefTransaction(who, why);
        int refs = transaction.DeleteRepo(name);
        transaction.Commit();
        return refs;
    }
}
