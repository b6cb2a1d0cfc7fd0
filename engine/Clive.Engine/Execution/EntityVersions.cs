using System.Text;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Engine.Execution;

/// <summary>
/// One entity as a run sees it: the version (its commit; null while it has none) and the blobs of its
/// value. <see cref="KeyValue"/> is what the cell's key records of it.
/// </summary>
public sealed record EntitySeen(string Name, ObjectId? Version, ObjectId? Json, ObjectId? MessagePack)
{
    public string KeyValue => Version?.ToString() ?? "absent";
}

/// <summary>
/// Reads entities (refs/clive/entities/&lt;name&gt;) for the engine. A cell that maintains an entity
/// sees, and is keyed by, the last version not written by itself: its own write does not make it run again.
/// </summary>
public static class EntityVersions
{
    public const string RefPrefix = "refs/clive/entities/";

    /// <summary>The trailer naming the cell that wrote a version: "Clive-Cell: repo@branch:cell".</summary>
    public const string CellTrailer = "Clive-Cell: ";
    public const string KeyTrailer = "Clive-Key: ";

    /// <summary>How a cell is named in the versions it writes.</summary>
    public static string CellId(string repo, string watchedRef, string cell) => $"{repo}@{CellRefs.ShortName(watchedRef)}:{cell}";

    /// <summary>The entity named by an entity ref, or null for another ref.</summary>
    public static string? NameOf(string refName)
        => refName.StartsWith(RefPrefix, StringComparison.Ordinal) && refName.Length > RefPrefix.Length ? refName[RefPrefix.Length..] : null;

    public static ObjectId? Head(EngineStore s, string repo, string name)
        => s.Store.Repos.TryGetId(repo) is { } repoId ? s.Store.Refs.Get(repoId, RefPrefix + name) : null;

    /// <summary>
    /// The version of <paramref name="name"/> a cell sees: the head, or, for the cell <paramref name="maintainer"/>
    /// (null for a cell that does not maintain it), the newest version before its own consecutive writes.
    /// </summary>
    public static EntitySeen Seen(EngineStore s, string repo, string name, string? maintainer)
    {
        var version = Head(s, repo, name);
        for (int step = 0; maintainer is not null && version is { } v && step < 10_000; step++)
        {
            var raw = s.Store.Objects.Read(v, ObjectType.Commit);
            if (WriterOf(raw) != maintainer) break;
            var parents = CommitParser.Parse(raw).Parents;
            version = parents.Count > 0 ? parents[0] : null;
        }
        if (version is not { } commit) return new EntitySeen(name, null, null, null);
        var files = s.Trees.Entries(s.Trees.TreeOfCommit(commit));
        return new EntitySeen(name, commit, files.TryGetValue("value.json", out var json) ? json.Id : null,
            files.TryGetValue("value.msgpack", out var value) ? value.Id : null);
    }

    /// <summary>The value (clive value MessagePack) of a seen version; null while the entity has none.</summary>
    public static byte[]? Value(EngineStore s, EntitySeen seen)
        => seen.MessagePack is { } blob ? s.Store.Objects.Read(blob, ObjectType.Blob) : null;

    /// <summary>The cell named in a version's Clive-Cell trailer, or null for a version a cell did not write.</summary>
    public static string? WriterOf(byte[] commit)
    {
        var text = Encoding.UTF8.GetString(commit);
        int body = text.IndexOf("\n\n", StringComparison.Ordinal);
        if (body < 0) return null;
        foreach (var line in text[(body + 2)..].Split('\n'))
            if (line.StartsWith(CellTrailer, StringComparison.Ordinal)) return line[CellTrailer.Length..].Trim();
        return null;
    }
}
