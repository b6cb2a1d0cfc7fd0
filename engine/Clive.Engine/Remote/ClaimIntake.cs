using Clive.Claims;
using Clive.Dispatch;
using Clive.Engine.Execution;
using Clive.Engine.Graph;
using Clive.Engine.Results;
using Clive.Git;
using Clive.Packs;
using Clive.Store.Cells;

namespace Clive.Engine.Remote;

/// <summary>
/// Turns another host's answer into this engine's result, or refuses it. In order, before anything
/// is written: the claim parses, is signed by a key trusted for the repo and that host, is about
/// the key asked for, this cell and exactly this job (its action and input tree); then, in one
/// transaction: the pack (verified as a push is) and the result commit's tree holding what the
/// claim names, the cache row and the run's end. A refusal rolls that transaction back: the
/// store and the cell's result stay as they were.
/// </summary>
internal sealed class ClaimIntake(EngineStore store)
{
    public CellResult Accept(string repo, CellDefinition cell, byte[] key, string keyText, ObjectId job, DispatchReply reply, long runId)
    {
        if (reply.Claim is not { } text) throw Refused("the answer holds no claim");
        var signed = new SignedClaim(ResultClaim.Parse(text), reply.Signature ?? "");
        var claim = store.Use(s => new ClaimVerifier(s.Store).Verify(signed, repo, keyText));
        if (claim.Cell != cell.Name) throw Refused($"the claim is about cell '{Printable.Of(claim.Cell)}', not '{cell.Name}'");
        if (claim.Inputs.Count != 1 || claim.Inputs[0] != job) throw Refused($"the claim is about other inputs than job {job}");
        return store.Write(s =>
        {
            IndexedPack? pack = null;
            try
            {
                if (reply.Pack is { Length: > 0 } bytes)
                {
                    // The engine's owner may build on anything in the store; the pack is still checked object by object.
                    var indexer = new PackIndexer(s.Store.Objects, null, Path.Combine(s.Store.Directory, "tmp"), Clive.Store.StoreLimits.For(s.Store.Directory));
                    pack = indexer.Index(new MemoryStream(bytes, writable: false));
                }
                if (pack?.Contains(claim.Result) != true && !s.Store.Objects.Contains(claim.Result))
                    throw Refused($"the claimed result commit {claim.Result} was not sent");
                using var transaction = s.Store.BeginRefTransaction(ResultWriter.Who, $"claim of {claim.Host}");
                if (pack is not null) transaction.Add(pack);
                new ClaimVerifier(s.Store).CheckResult(claim);
                var result = Result(s, claim, cell.Name, key);
                s.Store.Cells.SaveResult(result);
                s.Store.Cells.EndRun(runId, result.State, result.Finished);
                transaction.Commit();
                return result;
            }
            finally
            {
                pack?.Dispose();
            }
        });
    }

    /// <summary>The cache row of a claimed result: state, exit code and duration from its <c>result</c> file, the value from its tree.</summary>
    private static CellResult Result(EngineStore s, ResultClaim claim, string cell, byte[] key)
    {
        var tree = CommitParser.Parse(s.Store.Objects.Read(claim.Result, ObjectType.Commit)).Tree;
        string? summary = null;
        foreach (var entry in TreeParser.Entries(s.Store.Objects.Read(tree, ObjectType.Tree)))
            if (!entry.IsTree && System.Text.Encoding.UTF8.GetString(entry.Name.Span) == "result")
                summary = System.Text.Encoding.UTF8.GetString(s.Store.Objects.Read(entry.Id, ObjectType.Blob));
        var fields = (summary ?? throw Refused("the result commit has no result file")).Split('\n')
            .Select(l => l.Split(": ", 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);
        var state = fields.GetValueOrDefault("state") switch
        {
            CellState.Succeeded => CellState.Succeeded,
            CellState.Failed => CellState.Failed,
            var other => throw Refused($"the result's state '{Printable.Of(other ?? "")}' is not a finished run's"),
        };
        int? exit = int.TryParse(fields.GetValueOrDefault("exit"), out var code) ? code : null;
        long duration = long.TryParse(fields.GetValueOrDefault("duration_ms"), out var ms) && ms >= 0 ? ms : 0;
        var value = claim.Value is { } id ? s.Store.Objects.Read(id, ObjectType.Blob) : null;
        if (value is not null)
        {
            try { Clive.Core.Values.ValueJson.FromMessagePack(value); }
            catch (Clive.Core.Values.ValueFormatException) { throw Refused("the claimed value is not a clive value"); }
        }
        return new CellResult(key, cell, state, claim.Output, value, claim.Result, exit, duration, DateTimeOffset.UtcNow);
    }

    private static ClaimRefusedException Refused(string why) => new($"claim refused: {why}");
}
