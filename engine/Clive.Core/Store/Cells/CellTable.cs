using Clive.Git;
using Microsoft.Data.Sqlite;

namespace Clive.Store.Cells;

/// <summary>
/// The engine's tables: results by key (the cache), each watched ref's cell status and model,
/// and the history of runs. The engine writes them; `clive status`, `watch` and `logs` read them.
/// </summary>
public sealed class CellTable(CliveStore store)
{
    internal const string Schema = """
        CREATE TABLE cell_results(
            key BLOB PRIMARY KEY,
            cell TEXT NOT NULL,
            state TEXT NOT NULL,
            output BLOB,
            value BLOB,
            result BLOB NOT NULL,
            exit_code INTEGER,
            duration_ms INTEGER NOT NULL,
            finished INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE cell_status(
            repo TEXT NOT NULL,
            ref TEXT NOT NULL,
            cell TEXT NOT NULL,
            state TEXT NOT NULL,
            key BLOB,
            source BLOB,
            output BLOB,
            result BLOB,
            duration_ms INTEGER,
            started INTEGER,
            finished INTEGER,
            message TEXT,
            pid INTEGER,
            pid_start INTEGER,
            log_path TEXT,
            PRIMARY KEY(repo, ref, cell)) WITHOUT ROWID;
        CREATE TABLE cell_runs(
            id INTEGER PRIMARY KEY,
            repo TEXT NOT NULL,
            ref TEXT NOT NULL,
            cell TEXT NOT NULL,
            key BLOB NOT NULL,
            trigger_event INTEGER NOT NULL,
            started INTEGER NOT NULL,
            finished INTEGER,
            state TEXT NOT NULL);
        CREATE INDEX cell_runs_by_cell ON cell_runs(repo, ref, cell, id);
        CREATE TABLE engine_models(
            repo TEXT NOT NULL,
            ref TEXT NOT NULL,
            source BLOB NOT NULL,
            state TEXT NOT NULL,
            diagnostics TEXT,
            cells INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            PRIMARY KEY(repo, ref)) WITHOUT ROWID;
        """;

    public CellResult? Result(byte[] key)
        => store.Connection.Rows("SELECT key, cell, state, output, value, result, exit_code, duration_ms, finished, followed FROM cell_results WHERE key=$key", ("$key", key))
            .Select(r => new CellResult((byte[])r.GetValue(0), r.GetString(1), r.GetString(2), Id(r, 3), r.IsDBNull(4) ? null : (byte[])r.GetValue(4),
                Id(r, 5)!.Value, r.IsDBNull(6) ? null : r.GetInt32(6), r.GetInt64(7), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)))
            {
                Followed = r.IsDBNull(9) ? [] : CellKey.Parse(r.GetString(9)).Fields,
            })
            .FirstOrDefault();

    /// <summary>Records a result. Call inside a write transaction.</summary>
    public void SaveResult(CellResult result)
        => store.Connection.Execute("""
            INSERT OR REPLACE INTO cell_results(key, cell, state, output, value, result, exit_code, duration_ms, finished, followed)
            VALUES($key, $cell, $state, $output, $value, $result, $exit, $duration, $finished, $followed)
            """, ("$followed", result.Followed.Count == 0 ? null : new CellKey(result.Followed).ToText()),
            ("$key", result.Key), ("$cell", result.Cell), ("$state", result.State), ("$output", result.Output?.ToBytes()), ("$value", result.Value),
            ("$result", result.Commit.ToBytes()), ("$exit", result.ExitCode), ("$duration", result.DurationMs), ("$finished", result.Finished.ToUnixTimeMilliseconds()));

    /// <summary>Sets a cell's status row. Call inside a write transaction.</summary>
    public void SetStatus(CellStatus status)
        => store.Connection.Execute("""
            INSERT INTO cell_status(repo, ref, cell, state, key, source, output, result, duration_ms, started, finished, message, pid, pid_start, log_path)
            VALUES($repo, $ref, $cell, $state, $key, $source, $output, $result, $duration, $started, $finished, $message, $pid, $pidStart, $log)
            ON CONFLICT(repo, ref, cell) DO UPDATE SET state=excluded.state, key=excluded.key, source=excluded.source, output=excluded.output,
                result=excluded.result, duration_ms=excluded.duration_ms, started=excluded.started, finished=excluded.finished,
                message=excluded.message, pid=excluded.pid, pid_start=excluded.pid_start, log_path=excluded.log_path
            """,
            ("$repo", status.Repo), ("$ref", status.Ref), ("$cell", status.Cell), ("$state", status.State), ("$key", status.Key),
            ("$source", status.Source?.ToBytes()), ("$output", status.Output?.ToBytes()), ("$result", status.Result?.ToBytes()),
            ("$duration", status.DurationMs), ("$started", status.Started?.ToUnixTimeMilliseconds()), ("$finished", status.Finished?.ToUnixTimeMilliseconds()),
            ("$message", status.Message), ("$pid", status.Pid), ("$pidStart", status.PidStart), ("$log", status.LogPath));

    /// <summary>Every cell status, of one repo or all, optionally of one ref.</summary>
    public IReadOnlyList<CellStatus> Statuses(string? repo = null, string? refName = null)
        => store.Connection.Rows("""
            SELECT repo, ref, cell, state, key, source, output, result, duration_ms, started, finished, message, pid, pid_start, log_path,
                (SELECT count(*) FROM cell_runs r WHERE r.repo=s.repo AND r.ref=s.ref AND r.cell=s.cell)
            FROM cell_status s WHERE ($repo IS NULL OR repo=$repo) AND ($ref IS NULL OR ref=$ref) ORDER BY repo, ref, cell
            """, ("$repo", repo), ("$ref", refName))
            .Select(r => new CellStatus(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : (byte[])r.GetValue(4),
                Id(r, 5), Id(r, 6), Id(r, 7), Long(r, 8), Time(r, 9), Time(r, 10), r.IsDBNull(11) ? null : r.GetString(11),
                r.IsDBNull(12) ? null : r.GetInt32(12), Long(r, 13), r.IsDBNull(14) ? null : r.GetString(14)) { Runs = r.GetInt64(15) })
            .ToList();

    /// <summary>Forgets the status of cells a ref's model no longer declares. Call inside a write transaction.</summary>
    public void RemoveStatusExcept(string repo, string refName, IReadOnlyCollection<string> cells)
    {
        var keep = cells.ToHashSet(StringComparer.Ordinal);
        foreach (var status in Statuses(repo, refName).Where(s => !keep.Contains(s.Cell)))
            store.Connection.Execute("DELETE FROM cell_status WHERE repo=$repo AND ref=$ref AND cell=$cell",
                ("$repo", repo), ("$ref", refName), ("$cell", status.Cell));
    }

    /// <summary>
    /// Forgets a deleted repo's cells (status, run history) and models, inside the caller's
    /// transaction: a status row names objects gc would keep for ever, and a repo made later under
    /// the same name must not show the old one's runs. Cached results stay: they are shared by key.
    /// </summary>
    internal void ForgetRepo(string repo)
    {
        foreach (var table in new[] { "cell_status", "cell_runs", "engine_models" })
            store.Connection.Execute($"DELETE FROM {table} WHERE repo=$repo", ("$repo", repo));
    }

    /// <summary>Records the start of a run; <paramref name="keyFields"/> (<see cref="CellKey.ToText"/>) is what `clive why` compares.</summary>
    public long BeginRun(string repo, string refName, string cell, byte[] key, long triggerEvent, DateTimeOffset started, string? keyFields = null)
        => store.Connection.Scalar<long>("""
            INSERT INTO cell_runs(repo, ref, cell, key, trigger_event, started, state, key_fields)
            VALUES($repo, $ref, $cell, $key, $trigger, $started, 'running', $fields)
            RETURNING id
            """, ("$repo", repo), ("$ref", refName), ("$cell", cell), ("$key", key), ("$trigger", triggerEvent), ("$started", started.ToUnixTimeMilliseconds()),
            ("$fields", keyFields));

    /// <summary>The latest <paramref name="count"/> runs of one cell that recorded their key's fields, newest first.</summary>
    public IReadOnlyList<(CellRun Run, CellKey Key)> KeyedRuns(string repo, string refName, string cell, int count)
        => store.Connection.Rows("""
            SELECT id, repo, ref, cell, key, trigger_event, started, finished, state, key_fields FROM cell_runs
            WHERE repo=$repo AND ref=$ref AND cell=$cell AND key_fields IS NOT NULL ORDER BY id DESC LIMIT $count
            """, ("$repo", repo), ("$ref", refName), ("$cell", cell), ("$count", count))
            .Select(r => (new CellRun(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4), r.GetInt64(5),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), Time(r, 7), r.GetString(8)), CellKey.Parse(r.GetString(9))))
            .ToList();

    /// <summary>Adds fields learnt while the run ran (entities it followed) to its recorded key, for `clive why`.</summary>
    public void AddKeyFields(long id, IReadOnlyList<KeyField> fields)
    {
        if (fields.Count == 0) return;
        store.Connection.Execute("UPDATE cell_runs SET key_fields = coalesce(key_fields, '') || $fields WHERE id=$id",
            ("$id", id), ("$fields", new CellKey(fields).ToText()));
    }

    public void EndRun(long id, string state, DateTimeOffset finished)
        => store.Connection.Execute("UPDATE cell_runs SET state=$state, finished=$finished WHERE id=$id",
            ("$id", id), ("$state", state), ("$finished", finished.ToUnixTimeMilliseconds()));

    public IReadOnlyList<CellRun> Runs(string? repo = null, long afterId = 0)
        => store.Connection.Rows("""
            SELECT id, repo, ref, cell, key, trigger_event, started, finished, state FROM cell_runs
            WHERE id > $after AND ($repo IS NULL OR repo=$repo) ORDER BY id
            """, ("$after", afterId), ("$repo", repo))
            .Select(r => new CellRun(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), (byte[])r.GetValue(4), r.GetInt64(5),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), Time(r, 7), r.GetString(8)))
            .ToList();

    public void SetModel(ModelStatus model)
        => store.Connection.Execute("""
            INSERT OR REPLACE INTO engine_models(repo, ref, source, state, diagnostics, cells, updated)
            VALUES($repo, $ref, $source, $state, $diagnostics, $cells, $updated)
            """, ("$repo", model.Repo), ("$ref", model.Ref), ("$source", model.Source.ToBytes()), ("$state", model.State),
            ("$diagnostics", model.Diagnostics), ("$cells", model.Cells), ("$updated", model.Updated.ToUnixTimeMilliseconds()));

    public IReadOnlyList<ModelStatus> Models(string? repo = null)
        => store.Connection.Rows("SELECT repo, ref, source, state, diagnostics, cells, updated FROM engine_models WHERE $repo IS NULL OR repo=$repo ORDER BY repo, ref",
                ("$repo", repo))
            .Select(r => new ModelStatus(r.GetString(0), r.GetString(1), Id(r, 2)!.Value, r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.GetInt32(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6))))
            .ToList();

    private static ObjectId? Id(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : new ObjectId((byte[])r.GetValue(column));

    private static long? Long(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : r.GetInt64(column);

    private static DateTimeOffset? Time(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(column));
}
