using Clive.Git;

namespace Clive.Store.Cells;

/// <summary>The states a cell is shown in; the last two are a service's.</summary>
public static class CellState
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Blocked = "blocked";
    public const string Cancelled = "cancelled";
    public const string Serving = "serving";
    public const string Stopped = "stopped";
}

/// <summary>
/// What running a cell with one key gave: kept forever as the cache (a key is never run twice),
/// and published as <see cref="Commit"/>, whose tree holds the output files, value and logs.
/// </summary>
public sealed record CellResult(byte[] Key, string Cell, string State, ObjectId? Output, byte[]? Value, ObjectId Commit,
    int? ExitCode, long DurationMs, DateTimeOffset Finished)
{
    public bool Succeeded => State == CellState.Succeeded;

    /// <summary>
    /// The entities the run followed while it ran (key fields "follows", name, version): not part of
    /// the key, which is known before the run, but a condition of reusing the result: each must still be at its version.
    /// </summary>
    public IReadOnlyList<KeyField> Followed { get; init; } = [];

    /// <summary>
    /// Where another engine made it, for status ("ran on build-host", "claim of build-host reused", "action cache hit on grpc://farm:8980");
    /// null when made here. Not part of the cache row: which fitting engine ran a cell is not part of what it is.
    /// </summary>
    public string? Origin { get; init; }
}

/// <summary>A cell as `clive status` shows it, for one watched ref.</summary>
public sealed record CellStatus(string Repo, string Ref, string Cell, string State, byte[]? Key, ObjectId? Source,
    ObjectId? Output, ObjectId? Result, long? DurationMs, DateTimeOffset? Started, DateTimeOffset? Finished, string? Message,
    int? Pid, long? PidStart, string? LogPath)
{
    /// <summary>How many times the cell has run on this ref: counted from the run history when read, never written.</summary>
    public long Runs { get; init; }
}

/// <summary>The model of one watched ref: the commit it was read from, and the compiler's messages when it did not load.</summary>
public sealed record ModelStatus(string Repo, string Ref, ObjectId Source, string State, string? Diagnostics, int Cells, DateTimeOffset Updated);

/// <summary>One run of a cell (a cache miss or a forced run): what `status` counts and the latency benchmark reads.</summary>
public sealed record CellRun(long Id, string Repo, string Ref, string Cell, byte[] Key, long TriggerEvent, DateTimeOffset Started,
    DateTimeOffset? Finished, string State);
