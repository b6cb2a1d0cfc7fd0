using Clive.Claims;
using Clive.Dispatch;
using Clive.Engine.Evaluation;
using Clive.Engine.Execution;
using Clive.Engine.Graph;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Engine.Remote;

/// <summary>
/// The executor seam's remote half: decides whether a command cell runs on another host's engine,
/// hands it over through that host's <see cref="RemoteSession"/> and accepts the answer only
/// through <see cref="ClaimIntake"/>. A cell with <c>.On(labels)</c> goes to a remote engine
/// whose labels fit; any other command cell only asks the remote engines for a claim on its job,
/// so a result another engine already has is not computed again. Whatever does not deliver
/// (refused, untrusted, cut off) is logged with its reason and the next engine is tried; last
/// comes this engine, when its own labels fit. A remote engine busy with another job is passed
/// over when this one fits, so cells spread over both.
/// </summary>
internal sealed class Dispatcher(ReactiveEngine engine)
{
    private readonly object _gate = new();
    private readonly Dictionary<RemoteEngine, RemoteSession> _sessions = [];
    private readonly Dictionary<RemoteEngine, DateTimeOffset> _failedAt = [];
    private readonly ClaimIntake _intake = new(engine.Store);

    /// <summary>After a session could not be opened, how long before the next cell tries that host again.</summary>
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Whether this cell is dispatched or asked about at all: commands, when other engines are declared for its repo.</summary>
    public bool Concerns(RefPipeline pipeline, CellDefinition cell)
        => cell.Kind == Clive.Model.CellKind.Command && (cell.Command!.Placement.Count > 0 || engine.RemoteEngines.All.Any(r => r.Repo == pipeline.Repo));

    /// <summary>
    /// The cell's result from another engine, stored as this engine's; null when it is to run here.
    /// Throws when it may run nowhere: its labels fit no engine that delivered, this one included.
    /// </summary>
    public async Task<CellResult?> RunAsync(RefPipeline pipeline, CellDefinition cell, byte[] key, string keyText, InputLayout layout, long runId,
        CancellationToken cancel)
    {
        var wanted = cell.Command!.Placement;
        bool fitsHere = wanted.All(engine.Labels.Contains);
        (ObjectId Commit, IReadOnlyList<ObjectId> Closure)? job = null;
        var tried = new List<string>();
        foreach (var remote in engine.RemoteEngines.All.Where(r => r.Repo == pipeline.Repo))
        {
            var session = await Task.Run(() => SessionFor(pipeline, remote), cancel).ConfigureAwait(false);
            if (session is null) continue;
            bool fits = wanted.Count > 0 && wanted.All(session.Labels.Contains);
            // Its one job at a time is taken and this engine could run the cell: it runs here instead of queueing (two engines share the work).
            if (fits && fitsHere && session.Busy) continue;
            tried.Add($"{session.Host} ({string.Join(", ", session.Labels)})");
            job ??= JobAction.Write(engine.Store, cell, layout);
            var request = new DispatchRequest
            {
                Kind = DispatchRequest.Job,
                Cell = cell.Name,
                Key = keyText,
                Commit = job.Value.Commit.ToBytes(),
                Closure = DispatchChannel.Raw(job.Value.Closure),
                Run = fits,
            };
            if (fits) engine.Log($"{pipeline}: {cell.Name}: running on {session.Host}");
            DispatchReply reply;
            try
            {
                reply = await session.JobAsync(request, PackOf, cancel).ConfigureAwait(false);
            }
            catch (DispatchFailure e)
            {
                engine.Log($"{pipeline}: {cell.Name}: {e.Message}; trying elsewhere");
                continue;
            }
            if (reply.Kind == DispatchReply.None) continue;
            try
            {
                var result = _intake.Accept(pipeline.Repo, cell, key, keyText, job.Value.Commit, reply, runId);
                engine.Log($"{pipeline}: {cell.Name}: {result.State} on {session.Host} ({(fits ? "ran there" : "its claim reused")}, claim verified)");
                return result;
            }
            catch (ClaimRefusedException e)
            {
                engine.Log($"{pipeline}: {cell.Name}: {e.Message} (from {session.Host}); trying elsewhere");
            }
            catch (CliveException e)
            {
                // A pack that does not verify, say: the same as a refused claim.
                engine.Log($"{pipeline}: {cell.Name}: claim refused: {e.Message} (from {session.Host}); trying elsewhere");
            }
        }
        if (fitsHere) return null;
        throw new CliveException($"no engine with the labels {string.Join(", ", wanted)} delivered (this one has {string.Join(", ", engine.Labels)}; "
            + $"remote: {(tried.Count == 0 ? "none reachable" : string.Join("; ", tried))})");
    }

    private byte[] PackOf(IReadOnlyList<ObjectId> ids)
    {
        using var pack = new MemoryStream();
        engine.Store.Use(s => new Clive.Packs.PackWriter(s.Store.Objects).Write(pack, ids, null, null));
        return pack.ToArray();
    }

    private RemoteSession? SessionFor(RefPipeline pipeline, RemoteEngine remote)
    {
        lock (_gate)
        {
            if (_sessions.TryGetValue(remote, out var open) && !open.Broken) return open;
            if (open is not null)
            {
                open.Dispose();
                _sessions.Remove(remote);
            }
            if (_failedAt.TryGetValue(remote, out var failed) && DateTimeOffset.UtcNow - failed < RetryAfter) return null;
            try
            {
                var session = RemoteSession.Open(remote);
                _sessions[remote] = session;
                _failedAt.Remove(remote);
                engine.Log($"clive up: engine session with {session.Host} ({remote.Destination.Host}/{remote.Repo}): labels {string.Join(", ", session.Labels)}");
                return session;
            }
            catch (CliveException e)
            {
                _failedAt[remote] = DateTimeOffset.UtcNow;
                engine.Log($"{pipeline}: no engine session with {remote.Destination.Host}/{remote.Repo}: {e.Message}");
                return null;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var session in _sessions.Values) session.Dispose();
            _sessions.Clear();
        }
    }
}
