using System.Text;
using Clive.Engine.Execution;
using Clive.Git;
using Clive.Store;
using Clive.Store.Cells;
using Clive.Store.Refs;

namespace Clive.Engine.Results;

/// <summary>
/// Stores a finished run in one transaction: its objects, a result commit (tree: out/, value.msgpack,
/// value.json, stdout, stderr, result), the cache row for its key, and the end of its run record.
/// Once this returns, the run is never needed again, whatever happens to the engine.
/// </summary>
public sealed class ResultWriter(EngineStore store)
{
    public CellResult Save(string cell, byte[] key, RunOutcome outcome, long runId)
    {
        var finished = DateTimeOffset.UtcNow;
        var state = outcome.Succeeded ? CellState.Succeeded : CellState.Failed;
        return store.Write(s =>
        {
            var files = new OutputTree(s, outcome.Objects);
            if (outcome.Output is { } output) files.Add(new Inputs.FileEntry("out", TreeEntry.Directory, output));
            if (outcome.Value is { } value)
            {
                files.Add("value.msgpack", TreeEntry.RegularFile, value);
                files.Add("value.json", TreeEntry.RegularFile, Encoding.UTF8.GetBytes(ValueCodec.ToJson(value) + "\n"));
            }
            if (outcome.Stdout.Length > 0) files.Add("stdout", TreeEntry.RegularFile, outcome.Stdout);
            if (outcome.Stderr.Length > 0) files.Add("stderr", TreeEntry.RegularFile, outcome.Stderr);
            var summary = $"cell: {cell}\nstate: {state}\nexit: {(outcome.ExitCode?.ToString() ?? "-")}\nduration_ms: {(long)outcome.Duration.TotalMilliseconds}\nkey: {Convert.ToHexStringLower(key)}\n";
            files.Add("result", TreeEntry.RegularFile, Encoding.UTF8.GetBytes(summary));
            var tree = files.Build()!.Value;
            var who = new Signature("clive-engine", $"clive@{Environment.MachineName}", finished);
            var commitText = CommitWriter.Serialize(tree, [], who, who, $"clive: {cell} {state}");
            var commit = ObjectId.HashObject(ObjectType.Commit, commitText);
            if (!s.Store.Objects.Contains(commit)) outcome.Objects.Add(ObjectType.Commit, commitText);
            var result = new CellResult(key, cell, state, outcome.Output, outcome.Value, commit, outcome.ExitCode, (long)outcome.Duration.TotalMilliseconds, finished);
            using var transaction = s.Store.BeginRefTransaction(Who, Why);
            transaction.Add(outcome.Objects);
            s.Store.Cells.SaveResult(result);
            s.Store.Cells.EndRun(runId, state, finished);
            transaction.Commit();
            return result;
        });
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
