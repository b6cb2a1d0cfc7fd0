using Clive.Store;

namespace Clive.Access;

public sealed record IdentityKey(string Name, string KeyType, string KeyData, string Comment, DateTimeOffset Added)
{
    public string PublicKey => $"{KeyType} {KeyData}";
}

public sealed record Grant(long Id, string Identity, Right Right, Scope Scope, string GrantedBy, DateTimeOffset GrantedAt,
    string? RevokedBy, DateTimeOffset? RevokedAt)
{
    public bool Active => RevokedAt is null;
}

/// <summary>
/// Who may do what: identities (named SSH public keys) and the grants that give them rights over
/// scopes. sshd authenticates the key; this class authorizes. Every check reads the store, so a
/// revoked grant or a removed key stops working at the next request.
/// </summary>
public sealed class AccessControl(CliveStore store)
{
    // ---- identities: the machine owner's to manage ----

    public void AddKey(string name, string publicKeyLine)
    {
        IdentityName.Validate(name);
        var key = SshPublicKey.Parse(publicKeyLine);
        using var transaction = store.BeginWrite();
        if (Key(name) is not null) throw new CliveException($"identity '{name}' already exists");
        if (store.Connection.Scalar<string?>("SELECT name FROM identities WHERE key_data=$data", ("$data", key.Data)) is { } other)
            throw new CliveException($"that key already belongs to identity '{other}'");
        store.Connection.Execute("INSERT INTO identities(name, key_type, key_data, comment, added) VALUES($n, $t, $d, $c, $now)",
            ("$n", name), ("$t", key.Type), ("$d", key.Data), ("$c", key.Comment),
            ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        transaction.Commit();
    }

    /// <summary>
    /// Refuses a connection whose key is not the identity's key now. An authorized_keys line
    /// names the fingerprint of the key it admits, so a line left installed after the key was
    /// removed (or replaced under the same name) never speaks for the identity's new key.
    /// </summary>
    public void DemandKey(string identity, string fingerprint)
    {
        var key = Key(identity);
        SshPublicKey? current = null;
        try
        {
            if (key is not null) current = SshPublicKey.FromStored(key.KeyType, key.KeyData, key.Comment);
        }
        catch (UsageException)
        {
            // A row that no longer passes the checks admits no one.
        }
        if (current?.Fingerprint != fingerprint)
            throw new KeyNotCurrentException(identity);
    }

    public IdentityKey? Key(string name) => QueryKeys("WHERE name=$name", ("$name", name)).FirstOrDefault();

    public IReadOnlyList<IdentityKey> Keys() => QueryKeys("ORDER BY name");

    private List<IdentityKey> QueryKeys(string clause, params (string, object?)[] parameters)
        => store.Connection.Rows("SELECT name, key_type, key_data, comment, added FROM identities " + clause, parameters)
            .Select(r => new IdentityKey(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(4))))
            .ToList();

    /// <summary>Removes an identity: its key stops working at once, and its grants are revoked.</summary>
    public void RemoveKey(string name, Principal by)
    {
        using var transaction = store.BeginWrite();
        if (Key(name) is null) throw new CliveException($"no identity named '{name}'");
        store.Connection.Execute("DELETE FROM identities WHERE name=$n", ("$n", name));
        store.Connection.Execute("UPDATE grants SET revoked_by=$by, revoked_at=$now WHERE identity=$n AND revoked_at IS NULL",
            ("$by", by.Name), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()), ("$n", name));
        transaction.Commit();
    }

    // ---- grants ----

    public IReadOnlyList<Grant> Grants(bool includeRevoked = false)
        => QueryGrants(includeRevoked ? "" : "WHERE revoked_at IS NULL");

    private List<Grant> QueryGrants(string where, params (string, object?)[] parameters)
        => store.Connection.Rows("SELECT id, identity, right, repo, refs, granted_by, granted_at, revoked_by, revoked_at FROM grants "
                + where + " ORDER BY id", parameters)
            .Select(r => new Grant(r.GetInt64(0), r.GetString(1), Rights.Parse(r.GetString(2)), new Scope(r.GetString(3), r.GetString(4)),
                r.GetString(5), DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(6)),
                r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(8))))
            .ToList();

    /// <summary>
    /// Gives <paramref name="identity"/> a right over a scope. The owner may grant anything; an
    /// identity only within a scope it administers, so delegation never widens anyone's reach.
    /// </summary>
    public Grant Grant(Principal by, string identity, Right right, Scope scope)
    {
        IdentityName.Validate(identity);
        using var transaction = store.BeginWrite();
        DemandAdmin(by, scope);
        if (Key(identity) is null) throw new CliveException($"no identity named '{identity}' (the machine owner adds it with `clive keys add`)");
        var existing = Active(identity).FirstOrDefault(g => g.Right == right && g.Scope == scope);
        if (existing is not null) return existing;
        long id = store.Connection.Scalar<long>(
            "INSERT INTO grants(identity, right, repo, refs, granted_by, granted_at) VALUES($i, $r, $repo, $refs, $by, $now) RETURNING id",
            ("$i", identity), ("$r", right.Name()), ("$repo", scope.Repo), ("$refs", scope.Refs), ("$by", by.Name),
            ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        transaction.Commit();
        return QueryGrants("WHERE id=$id", ("$id", id)).Single();
    }

    /// <summary>Revokes the active grant of exactly this right and scope; checked like a grant.</summary>
    public void Revoke(Principal by, string identity, Right right, Scope scope)
    {
        using var transaction = store.BeginWrite();
        DemandAdmin(by, scope);
        int changed = store.Connection.Scalar<int>("""
            UPDATE grants SET revoked_by=$by, revoked_at=$now
            WHERE identity=$i AND right=$r AND repo=$repo AND refs=$refs AND revoked_at IS NULL
            RETURNING 1
            """, ("$by", by.Name), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()), ("$i", identity), ("$r", right.Name()),
            ("$repo", scope.Repo), ("$refs", scope.Refs));
        if (changed == 0) throw new CliveException($"'{identity}' has no '{right.Name()}' grant on {scope}");
        transaction.Commit();
    }

    // ---- checks ----

    /// <summary>Whether <paramref name="who"/> has at least <paramref name="right"/> on a ref of a repo.</summary>
    public bool Has(Principal who, Right right, string repo, string refName)
        => who.IsOwner || Active(who.Name).Any(g => g.Right.Includes(right) && g.Scope.CoversRepo(repo) && g.Scope.CoversRef(refName));

    /// <summary>Whether <paramref name="who"/> has at least <paramref name="right"/> on any part of a repo.</summary>
    public bool HasAny(Principal who, Right right, string repo)
        => who.IsOwner || Active(who.Name).Any(g => g.Right.Includes(right) && g.Scope.CoversRepo(repo));

    public void Demand(Principal who, Right right, string repo, string refName)
    {
        if (!Has(who, right, repo, refName)) throw new AccessDeniedException(who, right, $"{repo}:{refName}");
    }

    public void DemandAny(Principal who, Right right, string repo)
    {
        if (!HasAny(who, right, repo)) throw new AccessDeniedException(who, right, $"'{repo}'");
    }

    /// <summary>The refs of a repo that <paramref name="who"/> may read, as a filter.</summary>
    public Func<string, bool> ReadableRefs(Principal who, string repo)
    {
        if (who.IsOwner) return _ => true;
        var scopes = Active(who.Name).Where(g => g.Right.Includes(Right.Read) && g.Scope.CoversRepo(repo)).Select(g => g.Scope).ToList();
        return refName => scopes.Any(s => s.CoversRef(refName));
    }

    internal void DemandAdmin(Principal by, Scope scope)
    {
        if (by.IsOwner) return;
        if (!Active(by.Name).Any(g => g.Right == Right.Admin && scope.IsWithin(g.Scope)))
            throw new AccessDeniedException(by, Right.Admin, scope.ToString());
    }

    /// <summary>An identity's grants in force; none once its key is gone.</summary>
    private List<Grant> Active(string identity)
        => Key(identity) is null ? [] : QueryGrants("WHERE identity=$identity AND revoked_at IS NULL", ("$identity", identity));
}
