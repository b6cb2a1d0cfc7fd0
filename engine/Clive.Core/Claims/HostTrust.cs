using Clive.Access;
using Clive.Store;

namespace Clive.Claims;

/// <summary>One decision to trust a host's key for the repos in a scope, and its revocation if any.</summary>
public sealed record TrustedHost(long Id, string Host, string KeyType, string KeyData, string Repos, string GrantedBy, DateTimeOffset GrantedAt,
    string? RevokedBy, DateTimeOffset? RevokedAt)
{
    public bool Active => RevokedAt is null;
    public SshPublicKey Key => SshPublicKey.FromStored(KeyType, KeyData, Host);
}

/// <summary>
/// Which hosts' keys the store believes about which repos: a claim signed by a host is used for a
/// repo only while a row here trusts that host's key for it. Rows are never deleted, only revoked,
/// so who trusted what, and until when, stays readable (as grants). Changing trust for repos needs
/// <c>admin</c> over them: a host trusted for a repo can put any result into it.
/// </summary>
public sealed class HostTrust(CliveStore store)
{
    public const string Schema = """
        CREATE TABLE host_trust(
            id INTEGER PRIMARY KEY,
            host TEXT NOT NULL,
            key_type TEXT NOT NULL,
            key_data TEXT NOT NULL,
            repos TEXT NOT NULL,
            granted_by TEXT NOT NULL,
            granted_at INTEGER NOT NULL,
            revoked_by TEXT,
            revoked_at INTEGER
        );
        CREATE INDEX host_trust_by_host ON host_trust(host) WHERE revoked_at IS NULL;
        """;

    /// <summary>Trusts <paramref name="publicKeyLine"/> as <paramref name="host"/>'s key for the repos of <paramref name="repos"/> (a repo, <c>team/*</c> or <c>*</c>).</summary>
    public TrustedHost Trust(Principal by, string host, string publicKeyLine, string repos)
    {
        HostName.Validate(host);
        var key = SshPublicKey.Parse(publicKeyLine);
        var scope = RepoScope(repos);
        using var transaction = store.BeginWrite();
        store.Access.DemandAdmin(by, scope);
        var existing = Query("WHERE host=$h AND key_data=$d AND repos=$r AND revoked_at IS NULL", ("$h", host), ("$d", key.Data), ("$r", scope.Repo)).FirstOrDefault();
        if (existing is not null) return existing;
        long id = store.Connection.Scalar<long>("""
            INSERT INTO host_trust(host, key_type, key_data, repos, granted_by, granted_at) VALUES($h, $t, $d, $r, $by, $now) RETURNING id
            """, ("$h", host), ("$t", key.Type), ("$d", key.Data), ("$r", scope.Repo), ("$by", by.Name), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        transaction.Commit();
        return Query("WHERE id=$id", ("$id", id)).Single();
    }

    /// <summary>Revokes every key of <paramref name="host"/> trusted for exactly that scope; the claims it signed are refused from then on.</summary>
    public void Distrust(Principal by, string host, string repos)
    {
        HostName.Validate(host);
        var scope = RepoScope(repos);
        using var transaction = store.BeginWrite();
        store.Access.DemandAdmin(by, scope);
        int changed = store.Connection.Scalar<int>("""
            UPDATE host_trust SET revoked_by=$by, revoked_at=$now WHERE host=$h AND repos=$r AND revoked_at IS NULL RETURNING 1
            """, ("$by", by.Name), ("$now", DateTimeOffset.UtcNow.ToUnixTimeSeconds()), ("$h", host), ("$r", scope.Repo));
        if (changed == 0) throw new CliveException($"host '{host}' is not trusted for {scope.Repo}");
        transaction.Commit();
    }

    public IReadOnlyList<TrustedHost> List(bool includeRevoked = false) => Query(includeRevoked ? "" : "WHERE revoked_at IS NULL");

    /// <summary>The keys of <paramref name="host"/> trusted now for <paramref name="repo"/>.</summary>
    public IReadOnlyList<SshPublicKey> KeysFor(string host, string repo)
        => Query("WHERE host=$h AND revoked_at IS NULL", ("$h", host))
            .Where(t => new Scope(t.Repos, Scope.All).CoversRepo(repo))
            .Select(t => t.Key)
            .ToList();

    private static Scope RepoScope(string repos)
    {
        if (repos.Contains(':')) throw new UsageException($"'{Printable.Of(repos)}': hosts are trusted for whole repos (a repo, team/* or *), not for refs");
        return Scope.Parse(repos);
    }

    private List<TrustedHost> Query(string where, params (string, object?)[] parameters)
        => store.Connection.Rows("SELECT id, host, key_type, key_data, repos, granted_by, granted_at, revoked_by, revoked_at FROM host_trust "
                + where + " ORDER BY id", parameters)
            .Select(r => new TrustedHost(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(6)), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(8))))
            .ToList();
}
