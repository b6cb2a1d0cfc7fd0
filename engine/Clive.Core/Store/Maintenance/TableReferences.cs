using Clive.Git;
using Microsoft.Data.Sqlite;

namespace Clive.Store.Maintenance;

/// <summary>An object that a row of the store names, and which row (for fsck's messages).</summary>
internal sealed record NamedObject(ObjectId Id, string NamedBy);

/// <summary>A cache row of the engine and the objects it hands out on a cache hit.</summary>
internal sealed record CachedResult(byte[] Key, string Cell, DateTimeOffset Finished, ObjectId Commit, ObjectId? Output)
{
    public string Name => $"cached result {Convert.ToHexStringLower(Key)[..12]} of cell {Cell}";
}

/// <summary>
/// The rows besides refs that name objects and will use them again: what gc keeps and fsck checks.
/// The other columns holding ids only record history (the reflog's old and new, a status's or
/// model's source commit, shown as text) and never read the object, so they keep nothing.
/// </summary>
internal static class TableReferences
{
    /// <summary>
    /// A mount's pending edits: the content a row reuses by id (a rename of an unchanged file) and
    /// the commit it was made on, which becomes the parent of its commit or its conflict branch.
    /// </summary>
    public static IEnumerable<NamedObject> Overlay(CliveStore store)
    {
        foreach (var r in store.Connection.Rows("SELECT repo, ref, path, oid, base FROM overlay"))
        {
            var row = $"pending edit of {r.GetString(0)} {r.GetString(1)}:{r.GetString(2)}";
            if (Id(r, 3) is { } content) yield return new NamedObject(content, row);
            if (Id(r, 4) is { } made) yield return new NamedObject(made, row);
        }
    }

    /// <summary>What each watched ref's cells show: `clive logs` reads the result commit, and the engine publishes it.</summary>
    public static IEnumerable<NamedObject> CellStatus(CliveStore store)
    {
        foreach (var r in store.Connection.Rows("SELECT repo, ref, cell, output, result FROM cell_status"))
        {
            var row = $"status of cell {r.GetString(2)} on {r.GetString(0)} {r.GetString(1)}";
            if (Id(r, 3) is { } output) yield return new NamedObject(output, row);
            if (Id(r, 4) is { } result) yield return new NamedObject(result, row);
        }
    }

    /// <summary>The engine's cache: a hit publishes the result commit and places the output tree as its dependents' input.</summary>
    public static IEnumerable<CachedResult> CellResults(CliveStore store)
        => store.Connection.Rows("SELECT key, cell, finished, result, output FROM cell_results")
            .Select(r => new CachedResult((byte[])r.GetValue(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2)),
                Id(r, 3)!.Value, Id(r, 4)))
            .ToList();

    public static void ForgetResult(CliveStore store, byte[] key)
        => store.Connection.Execute("DELETE FROM cell_results WHERE key=$key", ("$key", key));

    private static ObjectId? Id(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : new ObjectId((byte[])r.GetValue(column));
}
