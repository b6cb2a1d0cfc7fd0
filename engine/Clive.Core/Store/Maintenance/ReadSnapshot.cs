namespace Clive.Store.Maintenance;

/// <summary>
/// A read transaction: every query on the connection sees the store as it was at the first one,
/// while other processes go on writing (in WAL mode a reader holds no lock a writer waits for).
/// </summary>
internal sealed class ReadSnapshot : IDisposable
{
    private readonly CliveStore _store;

    private ReadSnapshot(CliveStore store)
    {
        _store = store;
        _store.Connection.Execute("BEGIN DEFERRED");
        // A deferred transaction takes its snapshot at its first read: take it now.
        _store.Connection.Scalar<long>("SELECT count(*) FROM repos");
    }

    public static ReadSnapshot Begin(CliveStore store) => new(store);

    public void Dispose() => _store.Connection.Execute("COMMIT");
}
