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
/// publish.
/// </summary>
/// <remarks>
/// Pushes go on while it runs. The mark and the new pack come from a read snapshot (WAL readers
/// hold no lock); the pack goes into the store and the index moves to it in short transactions
/// (<see cref="PackSwap"/>). Only the sweep is one write transaction, under <see cref="GcGate.Sweep"/>
/// so that no push is between deciding what it leans on and committing: it walks what refs and
/// rows reach now beyond the mark (what pushes, results and mounts committed meanwhile), writes
/// that into a second pack, and retires every other pack. What nothing reaches at the sweep is
/// dropped, as it was when gc was one transaction.
/// </remarks>
public sealed class StoreCompactor(CliveStore store, Action<string>? progress)
{
    /// <summary>How long gc keeps a cached result no ref shows: two weeks, as git keeps unreachable objects (gc.pruneExpire).</summary>
    public static readonly TimeSpan DefaultKeepResults = TimeSpan.FromDays(14);

    /// <summary>How long gc waits for a moment with no push (or fetch) in flight before it closes the gate to new pushes (or leaves retired packs for the next gc).</summary>
    public static readonly TimeSpan DefaultPatience = TimeSpan.FromMinutes(1);

    public GcReport Run() => Run(DefaultKeepResults, DefaultPatience);

    /// <param name="keepResults">Cached results that finished this long ago or less are kept; zero keeps only those a ref or row shows.</param>
    /// <param name="patience">See <see cref="DefaultPatience"/>.</param>
    public GcReport Run(TimeSpan keepResults, TimeSpan patience)
    {
        using var running = GcGate.Running(store.Directory);
        long bytesBefore = FileSize();
        var cutoff = DateTimeOffset.UtcNow - keepResults;
        var swap = new PackSwap(store);
        // What a gc killed before it finished left behind.
        DeleteRetired(swap, patience);
        var temp = Path.Combine(store.Directory, $"gc-{Environment.ProcessId}.pack.tmp");
        try
        {
            var index = new List<PackedObject>();
            int packsBefore;
            List<ObjectId> marked;
            PackStatistics stats;
            long gcPack;
            using (var file = StorePermissions.CreateFile(temp, FileMode.Create, FileShare.None, 1 << 20))
            {
                using (ReadSnapshot.Begin(store))
                {
                    packsBefore = store.Connection.Scalar<int>("SELECT count(*) FROM packs WHERE size >= 0");
                    marked = Reachability.From(store, Roots(TableReferences.CellResults(store), cutoff), progress);
                    index.Capacity = marked.Count;
                    stats = new PackWriter(store.Objects).Write(file, marked, null, progress, index);
                }
                file.Flush();
                file.Position = 0;
                gcPack = swap.Copy(file, index.Count);
            }
            swap.Relocate(gcPack, index);
            var (added, dropped, resultsDropped) = Sweep(swap, gcPack, marked.ToHashSet(), cutoff, temp, patience);
            DeleteRetired(swap, patience);
            swap.Vacuum();
            store.Connection.Execute("PRAGMA wal_checkpoint(TRUNCATE)");
            return new GcReport(packsBefore, stats.Total + added, stats.Deltas, bytesBefore, FileSize(), dropped, resultsDropped);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// The one transaction that drops objects: what refs and rows reach now beyond the mark goes
    /// into a pack of its own, every pack but the two is retired, and cached results naming a
    /// dropped object are forgotten. Returns how many objects it added, dropped, and results it forgot.
    /// </summary>
    private (long Added, long Dropped, long ResultsDropped) Sweep(PackSwap swap, long gcPack, HashSet<ObjectId> kept, DateTimeOffset cutoff, string temp, TimeSpan patience)
    {
        using var gate = GcGate.Sweep(store.Directory, patience, progress);
        using var transaction = store.BeginWrite();
        var cache = TableReferences.CellResults(store);
        var beyond = Reachability.From(store, Roots(cache, cutoff), null, kept);
        var keep = new List<long> { gcPack };
        if (beyond.Count > 0)
        {
            var index = new List<PackedObject>(beyond.Count);
            using var file = StorePermissions.CreateFile(temp, FileMode.Create, FileShare.None, 1 << 20);
            new PackWriter(store.Objects).Write(file, beyond, null, null, index);
            file.Flush();
            file.Position = 0;
            keep.Add(store.Objects.Insert(ReadChunks(file), file.Length, index, relocate: true));
            kept.UnionWith(beyond);
        }
        long dropped = swap.Retire(keep);
        long resultsDropped = ForgetDroppedResults(cache, kept);
        transaction.Commit();
        return (beyond.Count, dropped, resultsDropped);
    }

    /// <summary>Deletes the packs a sweep retired, once no fetch that could still read them is in flight; else the next gc will.</summary>
    private void DeleteRetired(PackSwap swap, TimeSpan patience)
    {
        if (!swap.AnyRetired()) return;
        if (GcGate.FetchesBeforeSweepAreDone(store.Directory, patience, progress)) swap.DeleteRetired();
        else progress?.Invoke("Fetches kept reading: the retired packs are left for the next gc\n");
    }

    /// <summary>The objects rows name that gc keeps besides refs' (which <see cref="Reachability"/> reads itself).</summary>
    private List<ObjectId> Roots(IEnumerable<CachedResult> cache, DateTimeOffset cutoff)
        => TableReferences.Overlay(store).Concat(TableReferences.CellStatus(store)).Select(n => n.Id)
            .Concat(cache.Where(c => c.Finished >= cutoff).SelectMany(c => new[] { c.Commit, c.Output ?? c.Commit }))
            .ToList();

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
