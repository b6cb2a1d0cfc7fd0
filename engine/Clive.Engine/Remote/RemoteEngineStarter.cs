using Clive.Access;
using Clive.Core.Store.Engines;
using Clive.Remote;

namespace Clive.Engine.Remote;

/// <summary>
/// Keeps the engines that models declare (<c>Engines.On</c>) running on other hosts: for each
/// source (a watched ref, "demo@main") the latest declarations replace the earlier ones whole;
/// an engine newly declared is started with the `engine-up` verb there, one no longer declared is
/// stopped with `engine-down` when this store started it (one found running is its owner's).
/// What runs goes to <see cref="RemoteEngines"/>, for dispatch; what was started or failed, and
/// why, to the store's record (<see cref="StartedEngines"/>) and the log.
/// SSH is slow and may hang: the work runs off the engine's loop, one change after another.
/// When this engine stops, the engines it started keep running (other models' cells may be
/// running there, and a restart would start them again); its next start stops those no model
/// declares any more.
/// </summary>
public sealed class RemoteEngineStarter : IAsyncDisposable
{
    private readonly string _storeDirectory;
    private readonly RemoteEngines _engines;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private List<RemoteEngineRecord> _records;
    private Task _tail = Task.CompletedTask;
    private readonly HashSet<string> _declaring = new(StringComparer.Ordinal);

    public RemoteEngineStarter(string storeDirectory, RemoteEngines engines, Action<string> log)
    {
        _storeDirectory = storeDirectory;
        _engines = engines;
        _log = log;
        _records = StartedEngines.Read(storeDirectory).ToList();
    }

    /// <summary>The declarations of <paramref name="source"/> now (none: stop what it started). Returns at once.</summary>
    public void Declare(string source, string modelRepo, IReadOnlyList<WantedEngine> wanted)
    {
        var resolved = wanted.Select(w => (w.Destination, Repo: w.Repo ?? modelRepo, w.Labels, w.Jobs)).ToList();
        lock (_gate)
        {
            // A source that never declared an engine costs no work (every model without Engines.On);
            // one that did is reconciled even before its record is written, which its first change queued.
            if (resolved.Count > 0) _declaring.Add(source);
            else if (!_declaring.Contains(source) && !_records.Any(r => r.Source == source)) return;
            _tail = _tail.ContinueWith(_ => ReconcileAsync(source, resolved), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>
    /// At start, once every watched ref has its model: the sources on record whose ref no longer
    /// exists declare nothing. A cell's source (<see cref="CellWantedEngines"/>) lives with its ref;
    /// its cell's next result says what it wants, and <see cref="Retain"/> forgets a removed cell.
    /// </summary>
    public void Forget(IReadOnlySet<string> livePipelines)
    {
        List<string> gone;
        lock (_gate) gone = _records.Select(r => r.Source).Where(s => !livePipelines.Contains(CellWantedEngines.PipelineOf(s))).Distinct().ToList();
        foreach (var source in gone) Declare(source, "", []);
    }

    /// <summary>A pipeline's model now has these cells that start engines: those of its other cells that did declare nothing any more.</summary>
    public void Retain(string pipeline, IReadOnlySet<string> cellSources)
    {
        List<string> gone;
        lock (_gate)
            gone = _records.Select(r => r.Source).Concat(_declaring)
                .Where(s => s != pipeline && CellWantedEngines.PipelineOf(s) == pipeline && !cellSources.Contains(s)).Distinct().ToList();
        foreach (var source in gone) Declare(source, "", []);
    }

    /// <summary>Completes once every change handed in so far is done.</summary>
    public Task Settled()
    {
        lock (_gate) return _tail;
    }

    private async Task ReconcileAsync(string source, List<(SshDestination Destination, string Repo, IReadOnlyList<string> Labels, int? Jobs)> wanted)
    {
        try
        {
            await ReconcileOnceAsync(source, wanted, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The engine stops: what ran stays running (see above), the record says what was last known.
        }
        catch (Exception e) when (ErrorPolicy.IsUsersProblem(e) || e is IOException or UnauthorizedAccessException)
        {
            _log($"{source}: remote engines: {e.Message}");
        }
    }

    private async Task ReconcileOnceAsync(string source, List<(SshDestination Destination, string Repo, IReadOnlyList<string> Labels, int? Jobs)> wanted,
        CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        List<RemoteEngineRecord> mine;
        lock (_gate) mine = _records.Where(r => r.Source == source).ToList();
        var next = new List<RemoteEngineRecord>();
        foreach (var record in mine)
        {
            var still = wanted.FirstOrDefault(w => (w.Destination.Text, w.Repo) == record.Key);
            bool declared = still.Destination is not null;
            bool redeclared = declared && record is { StartedHere: true, State: RemoteEngineState.Up }
                && (!still.Labels.SequenceEqual(record.Labels) || still.Jobs != record.Jobs);
            if (declared && !redeclared) continue;
            // Gone from the model, or declared with other labels or jobs: an engine this store started is stopped (then started again as declared).
            if (!record.StartedHere || record.State == RemoteEngineState.Failed)
            {
                _log($"{source}: engine on {record.Destination} for '{record.Repo}' no longer declared{(record.StartedHere ? "" : " (left running: this store did not start it)")}");
                continue;
            }
            var down = await EngineVerbClient.RunAsync(SshDestination.Parse(record.Destination), [EngineVerbs.Down, record.Repo], cancel).ConfigureAwait(false);
            if (down.Succeeded)
            {
                _log($"{source}: engine on {record.Destination} for '{record.Repo}': {down.Lines.FirstOrDefault() ?? "stopped"}");
                continue;
            }
            _log($"{source}: engine on {record.Destination} for '{record.Repo}' could not be stopped: {down.Error} (at {record.Destination})");
            if (!declared) next.Add(record with { State = RemoteEngineState.StopFailed, At = DateTimeOffset.UtcNow, Message = down.Error });
        }
        foreach (var (destination, repo, labels, jobs) in wanted)
        {
            var earlier = mine.FirstOrDefault(r => r.Key == (destination.Text, repo));
            if (earlier is { State: RemoteEngineState.Up } && earlier.Labels.SequenceEqual(labels) && earlier.Jobs == jobs)
            {
                next.Add(earlier);
                continue;
            }
            var words = new List<string> { EngineVerbs.Up, repo };
            foreach (var label in labels) words.AddRange(["--label", label]);
            if (jobs is { } n) words.AddRange(["--jobs", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            var up = await EngineVerbClient.RunAsync(destination, words, cancel).ConfigureAwait(false);
            bool startedHere = earlier is { StartedHere: true } || up is { Succeeded: true, Outcome: "started" };
            if (up.Succeeded) _log($"{source}: engine on {destination.Text} for '{repo}': {up.Lines.FirstOrDefault() ?? "up"}");
            else _log($"{source}: engine on {destination.Text} for '{repo}' not started: {up.Error} (at {destination.Text})");
            next.Add(new RemoteEngineRecord(source, destination.Text, repo, labels, jobs, startedHere,
                up.Succeeded ? RemoteEngineState.Up : RemoteEngineState.Failed, DateTimeOffset.UtcNow, up.Succeeded ? up.Lines.FirstOrDefault() : up.Error));
        }
        List<RemoteEngineRecord> all;
        lock (_gate)
        {
            _records = _records.Where(r => r.Source != source).Concat(next).ToList();
            all = _records;
        }
        StartedEngines.Write(_storeDirectory, all);
        _engines.Declare(source, next.Where(r => r.State == RemoteEngineState.Up)
            .Select(r => new RemoteEngine(SshDestination.Parse(r.Destination), r.Repo, r.Labels)).ToList());
    }

    /// <summary>
    /// Lets a verb under way finish for a while (an engine-up cut short may still start the far
    /// engine, which this store would then not know it started), then cancels the rest.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var settled = Settled();
        await Task.WhenAny(settled, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        _stopping.Cancel();
        await settled.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
