using Clive.Engine.Execution;
using Clive.Store;
using Clive.Engine.Results;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Cell status and published refs, gathered in memory and written in one transaction a few times a
/// second: an evaluation that finds 10,000 cells cached must not pay 10,000 commits. It is only
/// the view, rebuilt by the next engine, but it is what says a cell is done: a flush that follows
/// results not yet on disk (<see cref="ResultWriter"/>) waits for the disk, which makes them
/// durable first (one sync for all of them). It writes through a connection of its own, so
/// evaluations reading the store never wait for it.
/// </summary>
public sealed class StatusBoard(EngineStore engineStore) : IDisposable
{
    private readonly object _gate = new();
    private readonly Lazy<CliveStore> _store = new(() => CliveStore.Open(engineStore.Store.Directory, create: false));
    private readonly Dictionary<(string Repo, string Ref, string Cell), CellStatus> _pending = [];
    private readonly Dictionary<(string Repo, string Ref, string Cell), CellStatus> _written = [];
    private readonly Dictionary<(string Repo, string Ref), (IReadOnlyCollection<string> Cells, ModelStatus Model)> _models = [];
    private readonly HashSet<(string Repo, string Ref)> _dropped = [];

    public void Set(CellStatus status)
    {
        var id = (status.Repo, status.Ref, status.Cell);
        lock (_gate)
        {
            if (_written.TryGetValue(id, out var written) && Same(written, status) && !_pending.ContainsKey(id)) return;
            _pending[id] = status;
        }
    }

    /// <summary>The model of a ref changed: cells it no longer declares are forgotten at the next flush.</summary>
    public void SetModel(ModelStatus model, IReadOnlyCollection<string> cells)
    {
        lock (_gate) _models[(model.Repo, model.Ref)] = (cells, model);
    }

    /// <summary>Writes what changed since the last flush (one at a time, so none overtakes another).</summary>
    public void Flush()
    {
        lock (engineStore.WriteGate)
        {
            List<CellStatus> statuses;
            List<(IReadOnlyCollection<string> Cells, ModelStatus Model)> models;
            lock (_gate)
            {
                if (_pending.Count == 0 && _models.Count == 0) return;
                statuses = [.. _pending.Values];
                models = [.. _models.Values];
                _pending.Clear();
                _models.Clear();
            }
            var store = _store.Value;
            // Status and published refs are derived from results and rebuilt by the next engine:
            // they need not wait for the disk, unless results written since the last sync are to be
            // said done: then this commit syncs the log, theirs with it, before anyone can read it.
            var durable = engineStore.ResultsAwaitingDisk;
            Func<Func<int>, int> commit = durable ? write => write() : store.WithoutWaitingForDisk;
            commit(() =>
            {
                using var transaction = store.BeginRefTransaction(ResultWriter.Who, ResultWriter.Why);
                foreach (var (cells, model) in models)
                {
                    store.Cells.SetModel(model);
                    if (model.State == "ok") store.Cells.RemoveStatusExcept(model.Repo, model.Ref, cells);
                }
                // Checked under the write lock, which gc takes too: a cached result that a gc
                // dropped after the evaluation found it is never published (its ref would point at
                // a missing commit); its ref is evaluated again, and the cell runs again.
                statuses = statuses.Select(s => s.Result is { } result && !store.Objects.IsStored(result) ? Dropped(s) : s).ToList();
                foreach (var status in statuses) store.Cells.SetStatus(status);
                foreach (var group in statuses.Where(x => x.Result is not null).GroupBy(x => x.Repo))
                    ResultWriter.Publish(transaction, store, group.Key, group.Select(x => (CellRefs.For(x.Ref, x.Cell), x.Result!.Value)));
                transaction.Commit();
                return 0;
            });
            if (durable) engineStore.ResultsAwaitingDisk = false;
            lock (_gate)
            {
                foreach (var status in statuses) _written[(status.Repo, status.Ref, status.Cell)] = status;
            }
        }
    }

    /// <summary>Refs whose cells showed a result gc dropped, to evaluate again (the engine's loop takes them).</summary>
    public IReadOnlyList<(string Repo, string Ref)> TakeDropped()
    {
        lock (_gate)
        {
            var dropped = _dropped.ToList();
            _dropped.Clear();
            return dropped;
        }
    }

    private CellStatus Dropped(CellStatus status)
    {
        lock (_gate) _dropped.Add((status.Repo, status.Ref));
        return status with { State = CellState.Queued, Output = null, Result = null, Message = "its cached result was dropped by clive gc; running again" };
    }

    private static bool Same(CellStatus a, CellStatus b)
        => a.State == b.State && a.Result == b.Result && a.Source == b.Source && a.Message == b.Message && a.Pid == b.Pid
           && (a.Key ?? []).AsSpan().SequenceEqual(b.Key ?? []);

    public static CellStatus FromResult(string repo, string refName, ObjectId source, CellResult result)
        => new(repo, refName, result.Cell, result.State, result.Key, source, result.Output, result.Commit, result.DurationMs,
            result.Finished.AddMilliseconds(-result.DurationMs), result.Finished, Message(result), null, null, null);

    private static string? Message(CellResult result)
    {
        var exit = result.ExitCode is { } code and not 0 ? $"exit code {code}" : null;
        return result.Origin is { } origin ? exit is null ? origin : $"{origin}; {exit}" : exit;
    }

    public void Dispose()
    {
        if (_store.IsValueCreated) _store.Value.Dispose();
    }
}
