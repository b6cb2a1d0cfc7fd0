using System.Text;
using Clive.Engine.Execution;
using Clive.Git;
using Clive.Store;
using Clive.Store.Cells;
using Clive.Store.Refs;

namespace Clive.Engine.Results;

/// <summary>
/// Stores finished runs: each one's objects, a result commit (tree: out/, value.msgpack,
/// value.json, stdout, stderr, result), the cache row for its key, and the end of its run record.
/// Runs that finish together share one transaction (group commit): a run waiting for the write
/// lock finds its result already written by the one that held it. The transaction does not wait
/// for the disk: once <see cref="Save"/> returns, the result survives a kill -9 of the engine and
/// its dependents may start, but only the next status flush (<see cref="Evaluation.StatusBoard"/>)
/// makes it durable, with one sync for every result since the last, before it says any is done.
/// A power loss before that loses the result and everything written after it (the store's log is
/// written in order), so no ref or status ever says done about a result that is not on disk.
/// </summary>
public sealed class ResultWriter(EngineStore store)
{
    private readonly object _queueGate = new();
    private List<Pending> _queue = [];

    private sealed class Pending(CellResult result, RunOutcome outcome, long runId)
    {
        public CellResult Result { get; } = result;
        public RunOutcome Outcome { get; } = outcome;
        public long RunId { get; } = runId;
        public bool Written { get; set; }
        public System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure { get; set; }
    }

    public CellResult Save(string cell, byte[] key, RunOutcome outcome, long runId)
    {
        var pending = new Pending(Prepare(cell, key, outcome), outcome, runId);
        lock (_queueGate) _queue.Add(pending);
        store.Write(s =>
        {
            List<Pending> batch;
            lock (_queueGate)
            {
                if (pending.Written || pending.Failure is not null) return;
                (batch, _queue) = (_queue, []);
            }
            try
            {
                s.Store.WithoutWaitingForDisk(() =>
                {
                    using var transaction = s.Store.BeginRefTransaction(Who, Why);
                    foreach (var item in batch)
                    {
                        transaction.Add(item.Outcome.Objects);
                        s.Store.Cells.SaveResult(item.Result);
                        s.Store.Cells.EndRun(item.RunId, item.Result.State, item.Result.Finished);
                    }
                    transaction.Commit();
                    return 0;
                });
                s.ResultsAwaitingDisk = true;
                foreach (var item in batch) item.Written = true;
            }
            catch (Exception e)
            {
                var failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
                foreach (var item in batch) item.Failure = failure;
            }
        });
        pending.Failure?.Throw();
        return pending.Result;
    }

    /// <summary>
    /// Stores a job another engine handed over: its result commit under <paramref name="refName"/>
    /// in <paramref name="repo"/>, never in the cache of this engine's own cells (the job's
    /// key is the dispatcher's word; its action and inputs are the job commit's).
    /// </summary>
    public CellResult SaveJob(string repo, string refName, string cell, byte[] job, RunOutcome outcome)
    {
        var result = Prepare(cell, job, outcome);
        store.Write(s =>
        {
            using var transaction = s.Store.BeginRefTransaction(Who, "job result");
            transaction.Add(outcome.Objects);
            var current = s.Store.Repos.TryGetId(repo) is { } id ? s.Store.Refs.Get(id, refName) ?? ObjectId.Zero : ObjectId.Zero;
            var applied = transaction.Update(repo, [new RefUpdate(refName, current, result.Commit)], atomic: true);
            if (applied.FirstOrDefault(r => !r.Succeeded) is { } failed) throw new CliveException($"could not file the job's result: {failed.Message}");
            transaction.Commit();
        });
        return result;
    }

    /// <summary>The result commit of a run, its objects added to the run's pack: store reads only, outside the write lock.</summary>
    private CellResult Prepare(string cell, byte[] key, RunOutcome outcome)
    {
        var finished = DateTimeOffset.UtcNow;
        var state = outcome.Succeeded ? CellState.Succeeded : CellState.Failed;
        var files = new OutputTree(store, outcome.Objects);
        if (outcome.Output is { } output) files.Add(new Inputs.FileEntry("out", TreeEntry.Directory, output));
        if (outcome.Value is { } value)
        {
            files.Add("value.msgpack", TreeEntry.RegularFile, value);
            files.Add("value.json", TreeEntry.RegularFile, Encoding.UTF8.GetBytes(Clive.Core.Values.ValueJson.FromMessagePack(value)));
        }
        if (outcome.Stdout.Length > 0) files.Add("stdout", TreeEntry.RegularFile, outcome.Stdout);
        if (outcome.Stderr.Length > 0) files.Add("stderr", TreeEntry.RegularFile, outcome.Stderr);
        var summary = $"cell: {cell}\nstate: {state}\nexit: {(outcome.ExitCode?.ToString() ?? "-")}\nduration_ms: {(long)outcome.Duration.TotalMilliseconds}\nkey: {Convert.ToHexStringLower(key)}\n";
        files.Add("result", TreeEntry.RegularFile, Encoding.UTF8.GetBytes(summary));
        var tree = files.Build()!.Value;
        var who = new Signature("clive-engine", $"clive@{Environment.MachineName}", finished);
        var commitText = CommitWriter.Serialize(tree, [], who, who, $"clive: {cell} {state}");
        var commit = ObjectId.HashObject(ObjectType.Commit, commitText);
        if (!store.Use(s => s.Store.Objects.Contains(commit))) outcome.Objects.Add(ObjectType.Commit, commitText);
        return new CellResult(key, cell, state, outcome.Output, outcome.Value, commit, outcome.ExitCode, (long)outcome.Duration.TotalMilliseconds, finished)
        {
            Followed = outcome.Followed,
        };
    }

    /// <summary>Who moves the published refs, and why: what their reflog says.</summary>
    public const string Who = "clive-engine";
    public const string Why = "cell result";

    /// <summary>Moves published refs to their results, in <paramref name="transaction"/>. Call under the store lock.</summary>
    public static bool Publish(RefTransaction transaction, Clive.Store.CliveStore store, string repo, IEnumerable<(string Ref, ObjectId Commit)> moves)
    {
        if (store.Repos.TryGetId(repo) is not { } repoId) return false;
        var updates = new List<RefUpdate>();
        foreach (var (name, commit) in moves)
        {
            var current = store.Refs.Get(repoId, name) ?? ObjectId.Zero;
            if (current != commit) updates.Add(new RefUpdate(name, current, commit));
        }
        if (updates.Count == 0) return false;
        transaction.Update(repo, updates, atomic: false);
        return true;
    }
}
