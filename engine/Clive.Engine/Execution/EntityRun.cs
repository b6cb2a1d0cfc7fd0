using Clive.Store.Cells;

namespace Clive.Engine.Execution;

/// <summary>
/// The entities one run of a cell touches: the values it reads (sent to a compute cell), the versions
/// of those it maintains as its key saw them (what its writes compare-and-swap against), and the
/// entities it follows while it runs, recorded as they are answered.
/// </summary>
public sealed class EntityRun(EngineStore store, string repo, string cellId, IReadOnlySet<string> maintained)
{
    /// <summary>The key field kind of an entity a run followed (a static read is "entity").</summary>
    public const string FollowsKind = "follows";

    private readonly Dictionary<string, KeyField> _followed = new(StringComparer.Ordinal);

    public static EntityRun None(EngineStore store) => new(store, "", "", new HashSet<string>());

    /// <summary>The name the cell's versions carry in their Clive-Cell trailer.</summary>
    public string CellId => cellId;

    public IReadOnlySet<string> Maintained => maintained;

    /// <summary>Compute cells: the values of the entities read with Reads, by name.</summary>
    public Dictionary<string, byte[]?> Reads { get; } = new(StringComparer.Ordinal);

    /// <summary>The version (null: none yet) each maintained entity had when the key was made.</summary>
    public Dictionary<string, Clive.Git.ObjectId?> Expected { get; } = new(StringComparer.Ordinal);

    /// <summary>What the run followed, as key fields ("follows", name, version), in name order.</summary>
    public IReadOnlyList<KeyField> Followed
    {
        get { lock (_followed) return _followed.Values.OrderBy(f => f.Subject, StringComparer.Ordinal).ToList(); }
    }

    /// <summary>Answers the running cell: the entity's current value, recorded as something the run depends on.</summary>
    public (byte[]? Value, string? Error) Follow(string name)
    {
        if (!Clive.Model.EntityNames.IsValid(name)) return (null, $"'{name}' is not an entity name");
        var (seen, value) = store.Use(s =>
        {
            var seen = EntityVersions.Seen(s, repo, name, maintained.Contains(name) ? cellId : null);
            return (seen, EntityVersions.Value(s, seen));
        });
        lock (_followed) _followed[name] = new KeyField(FollowsKind, name, seen.KeyValue);
        return value is null ? (null, $"entity '{name}' of {repo} has no version") : (value, null);
    }

    /// <summary>Whether every entity a cached result followed is still at the version it followed.</summary>
    public static bool StillCurrent(EngineStore s, string repo, string cellId, IReadOnlySet<string> maintained, IEnumerable<KeyField> followed)
        => followed.All(f => EntityVersions.Seen(s, repo, f.Subject, maintained.Contains(f.Subject) ? cellId : null).KeyValue == f.Value);
}
