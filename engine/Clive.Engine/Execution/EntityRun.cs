using Clive.Engine.Sandboxing;
using Clive.Store.Cells;

namespace Clive.Engine.Execution;

/// <summary>
/// The entities one run of a cell touches: the values it reads (sent to a compute cell), the versions
/// of those it maintains as its key saw them (what its writes compare-and-swap against), and the
/// entities, cells' results and refs it follows while it runs, recorded as they are answered.
/// </summary>
public sealed class EntityRun(EngineStore store, string repo, string cellId, IReadOnlySet<string> maintained, FollowedTargets.ReadCheck? mayRead = null)
{
    /// <summary>The key field kind of an entity a run followed (a static read is "entity").</summary>
    public const string FollowsKind = "follows";

    private readonly Dictionary<(string Kind, string Subject), KeyField> _followed = [];

    public static EntityRun None(EngineStore store) => new(store, "", "", new HashSet<string>());

    /// <summary>The name the cell's versions carry in their Clive-Cell trailer.</summary>
    public string CellId => cellId;

    public IReadOnlySet<string> Maintained => maintained;

    /// <summary>Compute cells: the values of the entities read with Reads, by name.</summary>
    public Dictionary<string, byte[]?> Reads { get; } = new(StringComparer.Ordinal);

    /// <summary>The version (null: none yet) each maintained entity had when the key was made.</summary>
    public Dictionary<string, Clive.Git.ObjectId?> Expected { get; } = new(StringComparer.Ordinal);

    /// <summary>What the run followed, as key fields ("follows" name version, "cell" address value, "ref" address commit), in order.</summary>
    public IReadOnlyList<KeyField> Followed
    {
        get
        {
            lock (_followed)
                return _followed.Values.OrderBy(f => f.Kind, StringComparer.Ordinal).ThenBy(f => f.Subject, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Answers the running cell (a <see cref="FollowTarget"/>'s text): the target's current value, recorded as something the run depends on.</summary>
    public (byte[]? Value, string? Error) Follow(string text)
    {
        var target = FollowTarget.Parse(text);
        switch (target.Key)
        {
            case Clive.Model.LiveReferences.CellKey:
                var cell = store.Use(s => FollowedTargets.Cell(s, target.Address, MayRead));
                Record(cell.Field);
                return (cell.Value, cell.Error);
            case Clive.Model.LiveReferences.RefKey:
                var (field, commit, files, error) = store.Use(s =>
                {
                    var found = FollowedTargets.Ref(s, target.Address, target.Glob, MayRead);
                    var contents = found.Files.ToDictionary(f => f.Path, f => s.Store.Objects.Read(f.Id, Clive.Git.ObjectType.Blob), StringComparer.Ordinal);
                    return (found.Field, found.Commit, contents, found.Error);
                });
                Record(field);
                return error is not null ? (null, error) : (MessagePack.MessagePackSerializer.Serialize(new FollowedRef { Commit = commit!, Files = files }), null);
            default:
                return FollowEntity(target.Address);
        }
    }

    private string? MayRead(EngineStore s, string otherRepo, string refName, string how)
        => mayRead is null ? $"cell {cellId}: {otherRepo}:{refName} cannot be followed here" : mayRead(s, otherRepo, refName, how);

    private void Record(KeyField? field)
    {
        if (field is null) return;
        lock (_followed) _followed[(field.Kind, field.Subject)] = field;
    }

    private (byte[]? Value, string? Error) FollowEntity(string name)
    {
        if (!Clive.Model.EntityNames.IsValid(name)) return (null, $"'{name}' is not an entity name");
        var (seen, value) = store.Use(s =>
        {
            var seen = EntityVersions.Seen(s, repo, name, maintained.Contains(name) ? cellId : null);
            return (seen, EntityVersions.Value(s, seen));
        });
        Record(new KeyField(FollowsKind, name, seen.KeyValue));
        return value is null ? (null, $"entity '{name}' of {repo} has no version") : (value, null);
    }

    /// <summary>Whether every entity a cached result followed is still at the version it followed.</summary>
    public static bool StillCurrent(EngineStore s, string repo, string cellId, IReadOnlySet<string> maintained, IEnumerable<KeyField> followed)
        => followed.All(f => f.Kind == FollowsKind
            ? EntityVersions.Seen(s, repo, f.Subject, maintained.Contains(f.Subject) ? cellId : null).KeyValue == f.Value
            : FollowedTargets.StillCurrent(s, f));
}
