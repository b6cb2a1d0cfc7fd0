using Clive.Store.Objects;
using Clive.Store.Refs;
using Clive.Store.Repos;
using Microsoft.Data.Sqlite;

namespace Clive.Store;

/// <summary>
/// One store: a single SQLite database in WAL mode holding Git objects (as packs), the refs of
/// many repos, and the event sequence of every ref change. Many processes open it at once;
/// readers never wait for writers, and writers hold short <c>BEGIN IMMEDIATE</c> transactions.
/// One instance per thread.
/// </summary>
public sealed class CliveStore : IDisposable
{
    private const int SchemaVersion = 11;

    private CliveStore(string directory, SqliteConnection connection)
    {
        Directory = directory;
        Connection = connection;
        Objects = new ObjectDatabase(connection);
        Repos = new RepoCatalog(this);
        Refs = new RefDatabase(this);
        Events = new EventLog(this);
        Access = new Clive.Access.AccessControl(this);
        Overlay = new Overlay.OverlayTable(this);
        Attributes = new Overlay.EntryAttributesTable(this);
        Cells = new Cells.CellTable(this);
        Entities = new Core.Store.Entities.EntityStore(this);
        EntityTypes = new Core.Store.Entities.EntityTypes(this);
        Trust = new Clive.Claims.HostTrust(this);
    }

    public string Directory { get; }
    internal SqliteConnection Connection { get; }
    public ObjectDatabase Objects { get; }
    public RepoCatalog Repos { get; }
    public RefDatabase Refs { get; }
    public EventLog Events { get; }
    public Clive.Access.AccessControl Access { get; }
    public Overlay.OverlayTable Overlay { get; }
    /// <summary>What mounts keep of their entries beyond what git records: modes, owners, times, special files, hard links.</summary>
    public Overlay.EntryAttributesTable Attributes { get; }
    public Cells.CellTable Cells { get; }
    public Core.Store.Entities.EntityStore Entities { get; }
    public Core.Store.Entities.EntityTypes EntityTypes { get; }
    public Clive.Claims.HostTrust Trust { get; }

    /// <summary>
    /// Runs <paramref name="write"/> with commits that do not wait for the disk (WAL with
    /// synchronous=NORMAL): a kill -9 of the process loses none of them, a power loss may lose the
    /// last ones until the next durable commit, from any connection, syncs the log that holds them.
    /// Only for what is derived and rebuilt (the engine's run records and status board): an fsync
    /// costs a millisecond or more per commit. Pushes and results stay synchronous=FULL.
    /// </summary>
    public T WithoutWaitingForDisk<T>(Func<T> write)
    {
        Connection.Execute("PRAGMA synchronous=NORMAL");
        try { return write(); }
        finally { Connection.Execute("PRAGMA synchronous=FULL"); }
    }

    public string DatabasePath => Path.Combine(Directory, StoreLocation.DatabaseFileName);

    /// <summary>
    /// Opens the store in <paramref name="directory"/> or the default place. Writers create it on
    /// first use; a reader asking for a store that does not exist is told so, rather than handed a
    /// new empty one (a mistyped --store would otherwise look like an empty store).
    /// </summary>
    public static CliveStore Open(string? directory = null, bool create = true)
    {
        var dir = StoreLocation.Resolve(directory);
        var database = Path.Combine(dir, StoreLocation.DatabaseFileName);
        if (File.Exists(dir)) throw new CliveException($"store '{dir}' is a file, not a directory (check --store or CLIVE_STORE)");
        if (!create && !File.Exists(database))
            throw new StoreNotFoundException(dir);
        try
        {
            StorePermissions.CreateDirectory(dir);
            StorePermissions.CreateDatabaseFile(database);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliveException($"cannot create store '{dir}': {e.Message}");
        }
        StorePermissions.WarnIfExposed(dir, database);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = database,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            // Seconds a writer waits for another writer's transaction before giving up.
            DefaultTimeout = 120,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Configure(connection);
            return new CliveStore(dir, connection);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            // Whatever SQLite says while opening, the user's question is which file and what now.
            throw new CliveException(e.SqliteErrorCode switch
            {
                // 8: read-only, 14: cannot open, 23: not authorized. All mean the same to a user.
                8 or 14 or 23 => $"cannot open store '{database}': it is not writable by this user ({e.SqliteErrorCode})",
                // 26: not a database, 11: corrupt.
                26 or 11 => $"'{database}' is not a clive store (not a SQLite database, or corrupt)",
                _ => $"cannot open store '{database}': {e.Message}",
            }, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Configure(SqliteConnection connection)
    {
        // Before writing anything: a SQLite database of something else is refused as it is, not
        // switched to WAL and half-migrated.
        if (connection.Scalar<long>("PRAGMA user_version") == 0 && connection.Scalar<long>("SELECT count(*) FROM sqlite_master") > 0)
            throw new CliveException($"'{connection.DataSource}' is not a clive store (a SQLite database of something else)");
        // First, while a new database file is still empty: incremental auto-vacuum lets gc hand
        // freed pages back to the file system, and can be chosen only before anything is written.
        connection.Execute("PRAGMA auto_vacuum=INCREMENTAL");
        // FULL: in WAL mode NORMAL may lose the last commits on power loss, and a push that git
        // reported "ok" must survive one.
        connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        // Pack chunks span hundreds of overflow pages: read through a memory map they cost no
        // syscall per page. A big push's WAL is cut back after its checkpoint.
        connection.Execute("PRAGMA mmap_size=68719476736; PRAGMA journal_size_limit=67108864;");
        long version = connection.Scalar<long>("PRAGMA user_version");
        if (version == SchemaVersion) return;
        if (version > SchemaVersion)
            throw new CliveException($"the store at {connection.DataSource} was written by a newer clive (schema {version})");
        using var transaction = new WriteTransaction(connection);
        // Re-read under the write lock: another process may have upgraded it meanwhile.
        version = connection.Scalar<long>("PRAGMA user_version");
        if (version < 1) connection.Execute(Schema);
        if (version < 2) connection.Execute(AccessSchema);
        if (version < 3) connection.Execute(OverlaySchema);
        // Version 4: the commit each overlay row was written on, to detect conflicts after a restart.
        if (version < 4) connection.Execute("ALTER TABLE overlay ADD COLUMN base BLOB");
        // Version 5: the engine's results, cell status, models and runs.
        if (version < 5) connection.Execute(Store.Cells.CellTable.Schema);
        // Version 6: each run's key, field by field, for `clive why`.
        if (version < 6) connection.Execute("ALTER TABLE cell_runs ADD COLUMN key_fields TEXT");
        // Version 7: the types models declare for their entities.
        if (version < 7) connection.Execute(Core.Store.Entities.EntityTypes.Schema);
        // Version 8: the entities a run followed while it ran, a condition of reusing its result.
        if (version < 8) connection.Execute("ALTER TABLE cell_results ADD COLUMN followed TEXT");
        // Version 9: which hosts' keys are trusted to sign results for which repos.
        if (version < 9) connection.Execute(Clive.Claims.HostTrust.Schema);
        // Version 10: reachability bitmaps, which a clone reads instead of walking the whole history.
        if (version < 10) connection.Execute(Clive.Transfer.ReachabilityIndex.Schema);
        // Version 11: the mounts' entry attributes (modes, owners, times, fifos, devices, hard links).
        if (version < 11) connection.Execute(Clive.Store.Overlay.EntryAttributesTable.Schema);
        connection.Execute($"PRAGMA user_version={SchemaVersion}");
        transaction.Commit();
    }

    private const string Schema = """
        CREATE TABLE repos(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created INTEGER NOT NULL);
        CREATE TABLE refs(
            repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            oid BLOB,
            symref TEXT,
            PRIMARY KEY(repo_id, name)) WITHOUT ROWID;
        CREATE TABLE packs(
            id INTEGER PRIMARY KEY,
            size INTEGER NOT NULL,
            objects INTEGER NOT NULL,
            created INTEGER NOT NULL);
        -- Packs in 1 MiB chunks: small enough for SQLite's blob limit, large enough that the
        -- per-row overhead is negligible (a rowid table, so chunks stay in their own pages).
        CREATE TABLE pack_chunks(
            pack_id INTEGER NOT NULL REFERENCES packs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            data BLOB NOT NULL,
            UNIQUE(pack_id, seq));
        CREATE TABLE objects(
            oid BLOB PRIMARY KEY,
            pack_id INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            length INTEGER NOT NULL,
            type INTEGER NOT NULL) WITHOUT ROWID;
        -- The event sequence and the reflog are one table: every ref change is both.
        CREATE TABLE events(
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            repo TEXT NOT NULL,
            ref TEXT NOT NULL,
            old BLOB,
            new BLOB,
            time INTEGER NOT NULL,
            who TEXT NOT NULL,
            why TEXT NOT NULL);
        CREATE INDEX events_by_ref ON events(repo, ref, seq);
        """;

    // Version 2: identities (SSH keys with names) and grants, kept with their history.
    private const string AccessSchema = """
        CREATE TABLE identities(
            name TEXT PRIMARY KEY,
            key_type TEXT NOT NULL,
            key_data TEXT NOT NULL UNIQUE,
            comment TEXT NOT NULL,
            added INTEGER NOT NULL);
        -- A grant is never deleted: revoking one stamps it, so the table is the history of who
        -- granted what to whom, and who took it back.
        CREATE TABLE grants(
            id INTEGER PRIMARY KEY,
            identity TEXT NOT NULL,
            right TEXT NOT NULL,
            repo TEXT NOT NULL,
            refs TEXT NOT NULL,
            granted_by TEXT NOT NULL,
            granted_at INTEGER NOT NULL,
            revoked_by TEXT,
            revoked_at INTEGER);
        CREATE INDEX grants_active ON grants(identity) WHERE revoked_at IS NULL;
        """;

    // Version 3: what mounts have written and not yet committed, durable from fsync/close on.
    private const string OverlaySchema = """
        CREATE TABLE overlay(
            repo TEXT NOT NULL,
            ref TEXT NOT NULL,
            path TEXT NOT NULL,
            kind INTEGER NOT NULL,
            data BLOB,
            oid BLOB,
            version INTEGER NOT NULL,
            PRIMARY KEY(repo, ref, path)) WITHOUT ROWID;
        """;

    /// <summary>Starts a write transaction; <c>BEGIN IMMEDIATE</c>, so writers queue instead of deadlocking.</summary>
    public WriteTransaction BeginWrite() => new(Connection);

    /// <summary>Starts the transaction through which refs change: objects, compare-and-swap updates and their events.</summary>
    public RefTransaction BeginRefTransaction(string who, string why) => new(this, who, why);

    public void Dispose()
    {
        // Prepared statements must be finalized before the connection can close.
        Objects.Dispose();
        Connection.Dispose();
    }
}
