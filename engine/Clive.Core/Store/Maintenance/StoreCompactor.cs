using Clive.Git;
using Clive.Packs;
using Clive.Store.Objects;

namespace Clive.Store.Maintenance;

public sealed record GcReport(int PacksBefore, long Objects, long Deltas, long BytesBefore, long BytesAfter, long Dropped, long ResultsDropped);

/// <summary>
/// <c>clive gc</c>: rewrites everything reachable from any ref, or from a row that will use it
/// again (<see cref="TableReferences"/>: mounts' pending edits, cells' status, and the engine's
/// cached results that finished within <c>keepResults</c>), into one pack (reusing stored deltas
/// wherever their bases come along) and drops the rest, with the cached results whose objects go.
/// So no row is left naming a dropped object: the engine never finds a cached result it cannot
/// publish. It runs inside one write transaction, so a concurrent push waits for it rather than
/// racing it: no push can lean on an object gc is about to drop.
/// </summary>
public sealed class StoreCompactor(CliveStore store, Action<string>? progress)
{
    /// <summary>How long gc keeps a cached result no ref shows: two weeks, as git keeps unreachable objects (gc.pruneExpire).</summary>
    public static readonly TimeSpan DefaultKeepResults = TimeSpan.FromDays(14);

    public GcReport Run() => Run(DefaultKeepResults);

    /// <param name="keepResults">Cached results that finished this long ago or less are kept; zero keeps only those a ref or row shows.</param>
    public GcReport Run(TimeSpan keepResults)
    {
        long bytesBefore = FileSize();
        var temp = Path.Combine(store.Directory, $"gc-{Environment.ProcessId}.pack.tmp");
        try
        {
            GcReport report;
            using (var transaction = store.BeginWrite())
            {
                int packsBefore = store.Connection.Scalar<int>("SELECT count(*) FROM packs");
                long objectsBefore = store.Connection.Scalar<long>("SELECT count(*) FROM objects");
                var cutoff = DateTimeOffset.UtcNow - keepResults;
                var cache = TableReferences.CellResults(store);
                var roots = TableReferences.Overlay(store).Concat(TableReferences.CellStatus(store)).Select(n => n.Id)
                    .Concat(cache.Where(c => c.Finished >= cutoff).SelectMany(c => new[] { c.Commit, c.Output ?? c.Commit }))
                    .ToList();
                var reachable = Reachability.From(store, roots, progress);
                var index = new List<PackedObject>(reachable.Count);
                PackStatistics stats;
                using (var file = StorePermissions.CreateFile(temp, FileMode.Create, FileShare.None, 1 << 20))
                {
                    stats = new PackWriter(store.Objects).Write(file, reachable, null, progress, index);
                    file.Flush();
                    file.Position = 0;
                    long packId = store.Objects.Insert(ReadChunks(file), file.Length, index, relocate: true);
                    store.Objects.DeletePacksExcept(packId);
                }
                long resultsDropped = ForgetDroppedResults(cache, reachable.ToHashSet());
                transaction.Commit();
                report = new GcReport(packsBefore, stats.Total, stats.Deltas, bytesBefore, 0, objectsBefore - stats.Total, resultsDropped);
            }
            store.Connection.Execute("PRAGMA incremental_vacuum");
            store.Connection.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
            return report with { BytesAfter = FileSize() };
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Cached results whose objects are gone are forgotten in the same transaction, so the cache
    /// only ever hands out what the store holds; their keys simply run again when next needed.
    /// </summary>
    private long ForgetDroppedResults(IEnumerable<CachedResult> cache, HashSet<ObjectId> kept)
    {
        long forgotten = 0;
        foreach (var result in cache)
        {
            if (kept.Contains(result.Commit) && (result.Output is not { } output || kept.Contains(output))) continue;
            TableReferences.ForgetResult(store, result.Key);
            forgotten++;
        }
        return forgotten;
    }

    private long FileSize()
    {
        var info = new FileInfo(store.DatabasePath);
        var wal = new FileInfo(store.DatabasePath + "-wal");
        return (info.Exists ? info.Length : 0) + (wal.Exists ? wal.Length : 0);
    }

    private static IEnumerable<ReadOnlyMemory<byte>> ReadChunks(Stream file)
    {
        var buffer = new byte[SpooledPack.ChunkSize];
        while (true)
        {
            int n = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (n == 0) yield break;
            yield return buffer.AsMemory(0, n);
        }
    }
}
