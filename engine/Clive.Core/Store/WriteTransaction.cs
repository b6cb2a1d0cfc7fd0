using Microsoft.Data.Sqlite;

namespace Clive.Store;

/// <summary>
/// A <c>BEGIN IMMEDIATE</c> transaction: it takes the write lock at once, so two writers queue
/// on the busy timeout instead of both reading and then failing to upgrade. Rolled back unless
/// committed.
/// </summary>
public sealed class WriteTransaction : IDisposable
{
    private readonly SqliteConnection _connection;
    private bool _open;

    internal WriteTransaction(SqliteConnection connection)
    {
        _connection = connection;
        _connection.Execute("BEGIN IMMEDIATE");
        _open = true;
    }

    /// <summary>Runs after a successful commit (e.g. to wake event followers).</summary>
    public event Action? Committed;

    public void Commit()
    {
        _connection.Execute("COMMIT");
        _open = false;
        Committed?.Invoke();
    }

    public void Dispose()
    {
        if (!_open) return;
        _open = false;
        _connection.Execute("ROLLBACK");
    }
}
