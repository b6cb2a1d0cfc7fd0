using Clive.Claims;
using Clive.Core.Store.Engines;
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
internal sealed class Dispatcher
{
    private readonly ReactiveEngine _engine;
    private readonly object _gate = new();
    private readonly Dictionary<RemoteEngine, RemoteSession> _sessions = [];
    private readonly Dictionary<RemoteEngine, DateTimeOffset> _failedAt = [];
    private readonly Dictionary<RemoteEngine, Task<RemoteSession?>> _opening = [];
    private readonly Dictionary<RemoteEngine, RemoteSessionRecord> _reached = [];
    private readonly ClaimIntake _intake;
    private bool _disposed;

    public Dispatcher(ReactiveEngine engine)
    {
        _engine = engine;
        _intake = new ClaimIntake(_engine.Store);
        _engine.RemoteEngines.Changed += () => Task.Run(Redeclared);
    }

    /// <summary>After a session could not be opened, how long before the next cell tries that host again.</summary>
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Whether this cell is dispatched or asked about at all: commands, when other engines are declared for its repo.</summary>
    public bool Concerns(RefPipeline pipeline, CellDefinition cell)
        => cell.Kind == Clive.Model.CellKind.Command && (cell.Command!.Placement.Count > 0 || _engine.RemoteEngines.All.Any(r => r.Repo == pipeline.Repo));

    /// <summary>
    /// The cell's result from another engine, stored as this engine's; null when it is to run here.
    /// Throws when it may run nowhere: its labels fit no engine that delivered, this one included.
    /// </summary>
    /// <param name="dispatched">Told where the cell now runs ("dispatched to build-host (alice@build-host)"), for its status.</param>
    public async Task<CellResult?> RunAsync(RefPipeline pipeline, CellDefinition cell, byte[] key, string keyText, InputLayout layout, long runId,
        Action<string> dispatched, CancellationToken cancel)
    {
        var wanted = cell.Command!.Placement;
        bool fitsHere = wanted.All(_engine.Labels.Contains);
        (ObjectId Commit, IReadOnlyList<ObjectId> Closure)? job = null;
        var tried = new List<string>();
        foreach (var remote in _engine.RemoteEngines.All.Where(r => r.Repo == pipeline.Repo))
        {
            var session = await Task.Run(() => SessionFor(pipeline, remote), cancel).ConfigureAwait(false);
            if (session is null) continue;
            bool fits = wanted.Count > 0 && wanted.All(session.Labels.Contains);
            // Its one job at a time is taken and this engine could run the cell: it runs here instead of queueing (two engines share the work).
            if (fits && fitsHere && session.Busy) continue;
            tried.Add($"{session.Host} ({string.Join(", ", session.Labels)})");
            job ??= JobAction.Write(_engine.Store, cell, layout);
            var request = new DispatchRequest
            {
                Kind = DispatchRequest.Job,
                Cell = cell.Name,
                Key = keyText,
                Commit = job.Value.Commit.ToBytes(),
                Closure = DispatchChannel.Raw(job.Value.Closure),
                Run = fits,
            };
            if (fits)
            {
                _engine.Log($"{pipeline}: {cell.Name}: running on {session.Host}");
                dispatched($"dispatched to {session.Host} ({remote.Destination.Text})");
            }
            DispatchReply reply;
            try
            {
                reply = await session.JobAsync(request, PackOf, cancel).ConfigureAwait(false);
            }
            catch (DispatchFailure e)
            {
                lock (_gate)
                    if (session.Broken) Reached(remote, new RemoteSessionRecord(remote.Destination.Text, remote.Repo, false, session.Host, session.Labels, DateTimeOffset.UtcNow, e.Message));
                _engine.Log($"{pipeline}: {cell.Name}: {e.Message}; trying elsewhere");
                continue;
            }
            if (reply.Kind == DispatchReply.None) continue;
            try
            {
                var result = _intake.Accept(pipeline.Repo, cell, key, keyText, job.Value.Commit, reply, runId);
                _engine.Log($"{pipeline}: {cell.Name}: {result.State} on {session.Host} ({(fits ? "ran there" : "its claim reused")}, claim verified)");
                return result with { Origin = fits ? $"ran on {session.Host} ({remote.Destination.Text})" : $"claim of {session.Host} reused" };
            }
            catch (ClaimRefusedException e)
            {
                _engine.Log($"{pipeline}: {cell.Name}: {e.Message} (from {session.Host}); trying elsewhere");
            }
            catch (CliveException e)
            {
                // A pack that does not verify, say: the same as a refused claim.
                _engine.Log($"{pipeline}: {cell.Name}: claim refused: {e.Message} (from {session.Host}); trying elsewhere");
            }
        }
        if (fitsHere) return null;
        throw new CliveException($"no engine with the labels {string.Join(", ", wanted)} delivered (this one has {string.Join(", ", _engine.Labels)}; "
            + $"remote: {(tried.Count == 0 ? "none reachable" : string.Join("; ", tried))})");
    }

    private byte[] PackOf(IReadOnlyList<ObjectId> ids)
    {
        using var pack = new MemoryStream();
        _engine.Store.Use(s => new Clive.Packs.PackWriter(s.Store.Objects).Write(pack, ids, null, null));
        return pack.ToArray();
    }

    private RemoteSession? SessionFor(RefPipeline pipeline, RemoteEngine remote) => SessionFor(pipeline.ToString(), remote, probe: false);

    /// <summary>
    /// The open session with <paramref name="remote"/>, opened now if needed. The opening (ssh's
    /// handshake and the far side's hello, up to a minute on a loaded host) runs outside the lock,
    /// once per host at a time: cells bound for other hosts, and the sessions of other engines, do
    /// not wait behind it; cells for the same host wait for the same opening.
    /// </summary>
    /// <param name="probe">Opened because the engine was just declared, not for a cell: a failure does not hold the next cell back.</param>
    private RemoteSession? SessionFor(string who, RemoteEngine remote, bool probe)
    {
        Task<RemoteSession?>? opening;
        lock (_gate)
        {
            if (_disposed) return null;
            if (_sessions.TryGetValue(remote, out var open) && !open.Broken) return open;
            if (open is not null)
            {
                open.Dispose();
                _sessions.Remove(remote);
            }
            if (!_opening.TryGetValue(remote, out opening))
            {
                if (!probe && _failedAt.TryGetValue(remote, out var failed) && DateTimeOffset.UtcNow - failed < RetryAfter) return null;
                opening = Task.Run(() => Open(who, remote, probe));
                _opening[remote] = opening;
            }
        }
        return opening.GetAwaiter().GetResult();
    }

    private RemoteSession? Open(string who, RemoteEngine remote, bool probe)
    {
        RemoteSession? session = null;
        string? failure = null;
        try
        {
            session = RemoteSession.Open(remote);
        }
        catch (CliveException e)
        {
            failure = e.Message;
        }
        lock (_gate)
        {
            _opening.Remove(remote);
            if (session is null)
            {
                if (!probe) _failedAt[remote] = DateTimeOffset.UtcNow;
                _engine.Log($"{who}: no engine session with {remote.Destination.Host}/{remote.Repo}: {failure}");
                Reached(remote, new RemoteSessionRecord(remote.Destination.Text, remote.Repo, false, null, [], DateTimeOffset.UtcNow, failure));
                return null;
            }
            if (_disposed)
            {
                session.Dispose();
                return null;
            }
            _sessions[remote] = session;
            _failedAt.Remove(remote);
            _engine.Log($"clive up: engine session with {session.Host} ({remote.Destination.Host}/{remote.Repo}): labels {string.Join(", ", session.Labels)}");
            Reached(remote, new RemoteSessionRecord(remote.Destination.Text, remote.Repo, true, session.Host, session.Labels, DateTimeOffset.UtcNow, null));
            return session;
        }
    }

    /// <summary>
    /// The declared engines changed: sessions with engines no longer declared are closed (one that
    /// a model stopped would only fail later), and new ones are opened now, so `clive engines` can
    /// say whether they are reachable before a cell needs them.
    /// </summary>
    private void Redeclared()
    {
        var declared = _engine.RemoteEngines.All;
        lock (_gate)
        {
            foreach (var gone in _sessions.Keys.Concat(_reached.Keys).Where(r => !declared.Contains(r)).Distinct().ToList())
            {
                if (_sessions.Remove(gone, out var session)) session.Dispose();
                _failedAt.Remove(gone);
                _reached.Remove(gone);
            }
            WriteReached();
        }
        // Each host at once: one slow to answer does not keep the others from being reachable.
        Task.WaitAll(declared.Select(remote => Task.Run(() => SessionFor("clive up", remote, probe: true))).ToArray());
    }

    /// <summary>Call under the gate.</summary>
    private void Reached(RemoteEngine remote, RemoteSessionRecord record)
    {
        if (!_engine.RemoteEngines.All.Contains(remote)) return;
        _reached[remote] = record;
        WriteReached();
    }

    private void WriteReached()
    {
        try
        {
            RemoteSessions.Write(_engine.Store.Store.Directory, _reached.Values);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only `clive engines` reads it: dispatch goes on without it.
            _engine.Log($"clive up: {RemoteSessions.FileName}: {e.Message}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var session in _sessions.Values) session.Dispose();
            _sessions.Clear();
            _reached.Clear();
            WriteReached();
        }
    }
}
