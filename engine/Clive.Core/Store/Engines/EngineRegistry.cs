using Clive.Core.Store.Entities;
using Clive.Git;
using Clive.Store;
using Clive.Store.Cells;

namespace Clive.Core.Store.Engines;

/// <summary>An engine as <c>clive engines</c> shows it: what it advertised, and whether it runs now.</summary>
/// <param name="Since">Running: when it started. Stopped: when it stopped, or its last sign of life when it died without saying.</param>
/// <param name="Heartbeat">Its last heartbeat, when this store can see it (an engine of this store on this host).</param>
/// <param name="Why">Why a stopped engine is shown stopped when it did not say so itself.</param>
public sealed record EngineEntry(string Name, EngineAdvert Advert, bool Running, DateTimeOffset Since, DateTimeOffset? Heartbeat, string? Why);

/// <summary>
/// The engines a store knows: one entity per engine, named after its host, in the store-level repo
/// <see cref="Repo"/>. A repo of its own rather than one the engine evaluates: every engine can write
/// it whichever repos it watches, the fleet is listed in one place, and who else may see it is an
/// ordinary grant (<c>clive grant alice read clive/engines</c>); engines on other hosts will push
/// their adverts here with a right on this repo alone, never on the users' repos.
/// </summary>
public static class EngineRegistry
{
    public const string Repo = "clive/engines";

    /// <summary>A beat every few seconds costs one utimensat; three missed beats and the engine is taken for stopped.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan HeartbeatStale = HeartbeatInterval * 3;

    private static readonly CommitIdentity Identity = new($"clive-engine <clive@{Environment.MachineName}>", $"clive-engine <clive@{Environment.MachineName}>");

    /// <summary>This host's entity name: the host name with anything an entity name cannot hold replaced.</summary>
    public static string LocalName
    {
        get
        {
            var name = new string(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray()).TrimStart('.');
            return name.Length == 0 ? "localhost" : name;
        }
    }

    /// <summary>Writes <paramref name="advert"/> as the engine's new version (creating the repo and recording the type the first time).</summary>
    public static void Publish(CliveStore store, EngineAdvert advert)
    {
        var name = LocalName;
        if (store.Repos.TryGetId(Repo) is null)
        {
            try { store.Repos.Create(Repo, "clive-engine"); }
            // Another engine (or a push) created it meanwhile: what was wanted.
            catch (CliveException) when (store.Repos.TryGetId(Repo) is not null) { }
        }
        store.EntityTypes.Declare(Repo, name, EngineAdvert.SchemaJson, hasMerge: false, declaredBy: "clive-engine");
        // Each version replaces the one read just before: the entity has a single writer, the engine of this host.
        var old = store.Entities.Read(Repo, name)?.Commit ?? ObjectId.Zero;
        var summary = advert.State == AdvertisedState.Running ? $"engine started (pid {advert.Pid})" : $"engine stopped (pid {advert.Pid})";
        store.Entities.Write(Repo, name, advert.ToMessagePack(), old, Identity, new EntityMessage(summary), "clive-engine");
    }

    /// <summary>Every engine the store knows, by name, with whether it runs now.</summary>
    public static IReadOnlyList<EngineEntry> List(CliveStore store)
    {
        if (store.Repos.TryGetId(Repo) is null) return [];
        var entries = new List<EngineEntry>();
        foreach (var head in store.Entities.List(Repo).OrderBy(h => h.Name, StringComparer.Ordinal))
            if (EngineAdvert.FromJson(store.Entities.ReadVersion(head.Name, head.Commit).Json) is { } advert)
                entries.Add(Describe(store.Directory, head.Name, advert));
        return entries;
    }

    /// <summary>
    /// An engine of this store on this host is checked against its process (pid and start time, as
    /// the engine's lock is) and its heartbeat; one elsewhere is taken at its word until engines on
    /// other hosts report their heartbeats.
    /// </summary>
    private static EngineEntry Describe(string storeDirectory, string name, EngineAdvert advert)
    {
        bool local = advert.Host == Environment.MachineName && advert.Store == storeDirectory;
        if (advert.State == AdvertisedState.Stopped) return new(name, advert, false, advert.Stopped ?? advert.Started, null, null);
        if (!local) return new(name, advert, true, advert.Started, null, null);
        var liveness = EngineLock.Probe(storeDirectory);
        bool same = liveness.Pid == advert.Pid;
        var heartbeat = same ? liveness.Heartbeat : null;
        if (!same || !Clive.Interop.ProcessIdentity.IsAlive(advert.Pid, advert.ProcessStart))
            return new(name, advert, false, heartbeat ?? advert.Started, heartbeat, $"process {advert.Pid} is gone");
        if (heartbeat is not { } beat || DateTimeOffset.UtcNow - beat > HeartbeatStale)
            return new(name, advert, false, heartbeat ?? advert.Started, heartbeat, $"no heartbeat for more than {HeartbeatStale.TotalSeconds:0} s");
        return new(name, advert, true, advert.Started, heartbeat, null);
    }
}
