using Clive.Packs;
using Clive.Store.Objects;

namespace Clive.Store.Maintenance;

public sealed record GcReport(int PacksBefore, long Objects, long Deltas, long BytesBefore, long BytesAfter, long Dropped);

/// <summary>
/// <c>clive gc</c>: rewrites everything reachable from any ref into one pack (reusing stored
/// deltas wherever their bases come along) and drops the rest. It runs inside one write
/// transaction, so a concurrent push waits for it rather than racing it: no push can lean on
/// an object gc is about to drop.
/// </summary>
public sealed class StoreCompactor(CliveStore store, Action<string>? progress)
{
    public GcReport Run()
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
                var reachable = Reachability.FromAllRefs(store, progress);
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
                transaction.Commit();
                report = new GcReport(packsBefore, stats.Total, stats.Deltas, bytesBefore, 0, objectsBefore - stats.Total);
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
