using Clive.Engine.Remote;
using Clive.Remote;
using Clive.Store.Repos;

namespace Clive.EngineHost;

/// <summary>`clive up --remote [user@]host[:port][/repo]`: engines on other hosts declared by the owner, beside those models declare.</summary>
internal static class RemoteOption
{
    /// <summary>Who declared them, for <see cref="RemoteEngines.Declare"/>.</summary>
    public const string Source = "command line";

    public static IReadOnlyList<RemoteEngine> Parse(IReadOnlyList<string> values, IReadOnlyList<string> watched)
    {
        var engines = new List<RemoteEngine>();
        foreach (var value in values)
        {
            int slash = value.IndexOf('/');
            var destination = SshDestination.Parse(slash < 0 ? value : value[..slash]);
            // Labels come from the remote engine's own advert, through the session's hello.
            if (slash >= 0) engines.Add(new RemoteEngine(destination, RepoName.Normalize(value[(slash + 1)..]), []));
            else if (watched.Count == 0) throw new UsageException($"--remote {Clive.Printable.Of(value)}: say which repo (host/repo) when watching --all");
            else engines.AddRange(watched.Select(repo => new RemoteEngine(destination, RepoName.Normalize(repo), [])));
        }
        return engines;
    }
}
