using Clive.Store.Repos;

namespace Clive.Remote;

/// <summary>
/// What follows <c>clive::</c> in a URL: <c>&lt;host&gt;/&lt;repo&gt;</c>, where the host
/// <c>local</c> or <c>localhost</c> means this machine's store, reached without SSH.
/// </summary>
public sealed record RemoteAddress(string Host, string Repo)
{
    public bool IsLocal => Host is "local" or "localhost";

    public static RemoteAddress Parse(string address)
    {
        // git hands "clive://host/repo" URLs over whole, and "clive::host/repo" without the prefix.
        var rest = address.StartsWith("clive://", StringComparison.Ordinal) ? address["clive://".Length..] : address;
        // clive::ssh://host/repo reads naturally to git users; it means the same as clive::host/repo.
        if (rest.StartsWith("ssh://", StringComparison.Ordinal)) rest = rest["ssh://".Length..];
        int slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
            throw new UsageException($"'{address}' is not a clive address: expected <host>/<repo>, e.g. clive::local/demo");
        return new RemoteAddress(rest[..slash], RepoName.Normalize(rest[(slash + 1)..]));
    }
}
