using Clive.Git;

namespace Clive.Store.Refs;

/// <summary>A ref as stored: a direct target, or a symbolic ref (HEAD) naming another ref.</summary>
public sealed record StoredRef(string Name, ObjectId? Target, string? SymbolicTarget);

/// <summary>One requested change: from <see cref="Old"/> (zero: must not exist) to <see cref="New"/> (zero: delete).</summary>
public sealed record RefUpdate(string Name, ObjectId Old, ObjectId New);

public enum RefUpdateStatus { Ok, Stale, Invalid, Denied, AtomicFailed }

public sealed record RefUpdateResult(RefUpdate Update, RefUpdateStatus Status, string? Message = null)
{
    public bool Succeeded => Status == RefUpdateStatus.Ok;
}

/// <summary>
/// A store's refs, read here; they change only through a <see cref="RefTransaction"/>, which
/// compares-and-swaps and appends each change's event (its reflog entry) in the same transaction.
/// </summary>
public sealed class RefDatabase(CliveStore store)
{
    public const string Head = "HEAD";

    public IReadOnlyList<StoredRef> List(long repoId)
        => store.Connection.Rows("SELECT name, oid, symref FROM refs WHERE repo_id=$repo ORDER BY name", ("$repo", repoId))
            .Select(r => new StoredRef(r.GetString(0),
                r.IsDBNull(1) ? null : new ObjectId((byte[])r.GetValue(1)),
                r.IsDBNull(2) ? null : r.GetString(2)))
            .ToList();

    /// <summary>The refs whose names start with <paramref name="prefix"/>: a range of the index, not every ref of the repo.</summary>
    public IReadOnlyList<StoredRef> List(long repoId, string prefix)
    {
        if (prefix.Length == 0) return List(repoId);
        var end = prefix[..^1] + (char)(prefix[^1] + 1);
        return store.Connection.Rows("SELECT name, oid, symref FROM refs WHERE repo_id=$repo AND name >= $from AND name < $to ORDER BY name",
                ("$repo", repoId), ("$from", prefix), ("$to", end))
            .Select(r => new StoredRef(r.GetString(0),
                r.IsDBNull(1) ? null : new ObjectId((byte[])r.GetValue(1)),
                r.IsDBNull(2) ? null : r.GetString(2)))
            .ToList();
    }

    public ObjectId? Get(long repoId, string name)
    {
        var raw = store.Connection.Scalar<byte[]?>("SELECT oid FROM refs WHERE repo_id=$repo AND name=$name",
            ("$repo", repoId), ("$name", name));
        return raw is null ? null : new ObjectId(raw);
    }

    public string? SymbolicTarget(long repoId, string name)
        => store.Connection.Scalar<string?>("SELECT symref FROM refs WHERE repo_id=$repo AND name=$name",
            ("$repo", repoId), ("$name", name));

    public bool Exists(long repoId, string name)
        => store.Connection.Scalar<long>("SELECT count(*) FROM refs WHERE repo_id=$repo AND name=$name", ("$repo", repoId), ("$name", name)) > 0;

    /// <summary>Resolves a name as git would: a short name by <see cref="ShortRefName"/>'s order, HEAD through its target.</summary>
    public ObjectId? Resolve(long repoId, string name) => ResolveFull(repoId, name)?.Id;

    /// <summary>A short or full ref name resolved as git resolves it, with the full name it resolved to (what rights are checked against).</summary>
    public (string Name, ObjectId Id)? ResolveFull(long repoId, string name)
        => FullName(repoId, name) is { } full && Get(repoId, full) is { } id ? (full, id) : null;

    /// <summary>The full name of the ref <paramref name="name"/> stands for, a symbolic ref (HEAD) through to its target; null when none exists.</summary>
    public string? FullName(long repoId, string name)
    {
        var found = ShortRefName.Find(name, candidate => Exists(repoId, candidate));
        return found is not null && SymbolicTarget(repoId, found) is { } target ? target : found;
    }

    /// <summary>Writes one row; only <see cref="RefTransaction"/> calls this, with the event that goes with it.</summary>
    internal void Write(long repoId, string name, ObjectId? target, string? symbolicTarget)
        => store.Connection.Execute("INSERT OR REPLACE INTO refs(repo_id, name, oid, symref) VALUES($repo, $name, $oid, $symref)",
            ("$repo", repoId), ("$name", name), ("$oid", target?.ToBytes()), ("$symref", symbolicTarget));

    internal void Remove(long repoId, string name)
        => store.Connection.Execute("DELETE FROM refs WHERE repo_id=$repo AND name=$name", ("$repo", repoId), ("$name", name));
}
