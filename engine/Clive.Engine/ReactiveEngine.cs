using Clive.Engine.Evaluation;
using Clive.Engine.Execution;
using Clive.Engine.Graph;
using Clive.Engine.Results;
using Clive.Engine.Sandboxing;
using Clive.Engine.Scripting;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Engine;

/// <summary>How `clive up` runs: which refs it watches, how many cells at once, where it says what it does.</summary>
public sealed record EngineOptions
{
    /// <summary>Repos to watch, named by the engine's owner: watching a repo means running the models pushed to it.</summary>
    public IReadOnlyList<string> Repos { get; init; } = [];

    /// <summary>Watch every repo of the store, also those created later (the owner's explicit choice, <c>--all</c>).</summary>
    public bool AllRepos { get; init; }

    /// <summary>Branch patterns to watch ("main", "release/*"); empty: each repo's HEAD branch.</summary>
    public IReadOnlyList<string> Branches { get; init; } = [];

    /// <summary>Paths (read-only) that every sandboxed cell sees besides the system's programs: tools the owner chose.</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>What this engine advertises it can run (os-arch first): a cell's <c>.On</c> labels must all be here for it to run here.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>
    /// Start and stop the engines that models declare on other hosts (<c>Engines.On</c>): `clive up`
    /// does; `clive run`, a one-off that nothing would follow up, does not.
    /// </summary>
    public bool ManagesRemoteEngines { get; init; }

    /// <summary>A Remote Execution API farm for command cells (<c>clive up --reapi</c>); null: none.</summary>
    public Remote.Reapi.ReapiSettings? Reapi { get; init; }
}

/// <summary>
/// The reactive engine: follows the store's ref events, keeps one pipeline per watched ref, and
/// runs the cells whose inputs changed. Results and status go back into the store.
/// </summary>
public sealed class ReactiveEngine : IAsyncDisposable
{
    private readonly EngineOptions _options;
    private readonly Dictionary<(string Repo, string Ref), RefPipeline> _pipelines = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ResultReaders _resultReaders;

    public ReactiveEngine(EngineStore store, EngineOptions options)
    {
        Store = store;
        _options = options;
        var engineDirectory = Path.Combine(store.Store.Directory, "engine");
        WorkRoot = PrivateDirectory.Create(Path.Combine(engineDirectory, "work"), "run-");
        Sandbox = new Sandbox(options.Tools);
        LogRoot = Path.Combine(engineDirectory, "logs");
        Loader = new ModelLoader(store.Trees, new ScriptCompiler(Path.Combine(engineDirectory, "models")));
        Board = new StatusBoard(store);
        Coordinator = new RunCoordinator(Math.Max(1, options.Jobs));
        Services = new ServiceSupervisor(this);
        Writer = new ResultWriter(store);
        Slots = new SlotPool(Sandbox, WorkRoot, Log, slotsPerDomain: Coordinator.Jobs + 1);
        _resultReaders = new ResultReaders(_pipelines.Values, Log);
        Merges = new EntityMerges(store, Log);
        Starter = options.ManagesRemoteEngines ? new Remote.RemoteEngineStarter(store.Store.Directory, RemoteEngines, Log) : null;
        Dispatch = new Remote.Dispatcher(this);
        Farm = options.Reapi is { } farm ? new Remote.Reapi.ReapiExecutor(store, farm) : null;
        // A cell that found no engine with its labels failed (not cached): a new engine may fit it.
        RemoteEngines.Changed += () => Interlocked.Exchange(ref _remoteEnginesChanged, 1);
        _jobs = new Remote.JobRunner(this, _stopping.Token);
    }

    private readonly Remote.JobRunner _jobs;
    private int _remoteEnginesChanged;

    internal EngineStore Store { get; }
    internal ModelLoader Loader { get; }
    internal StatusBoard Board { get; }
    internal RunCoordinator Coordinator { get; }
    internal ServiceSupervisor Services { get; }
    internal ResultWriter Writer { get; }
    internal string WorkRoot { get; }
    internal Sandbox Sandbox { get; }
    internal SlotPool Slots { get; }
    internal string LogRoot { get; }
    internal EntityMerges Merges { get; }
    internal Remote.Dispatcher Dispatch { get; }
    internal Remote.Reapi.ReapiExecutor? Farm { get; }

    /// <summary>This engine's labels (<see cref="EngineOptions.Labels"/>).</summary>
    internal IReadOnlyList<string> Labels => _options.Labels;

    /// <summary>Engines on other hosts this one may hand cells to.</summary>
    public Remote.RemoteEngines RemoteEngines { get; } = new();

    /// <summary>Starts and stops the engines that models declare on other hosts.</summary>
    internal Remote.RemoteEngineStarter? Starter { get; }

    /// <summary>When set, the output of forced runs is copied here as it happens.</summary>
    public TextWriter? Echo { get; init; }

    internal void Log(string line)
    {
        lock (_options.Log) { _options.Log.WriteLine(line); _options.Log.Flush(); }
    }

    /// <summary>Runs until <paramref name="cancel"/> fires, then stops services and cancels runs.</summary>
    public async Task RunAsync(CancellationToken cancel)
    {
        KillLeftovers();
        using var follower = Store.Use(s => s.Store.Events.Follow());
        var flusher = FlushLoopAsync(_stopping.Token);
        long last = Store.Use(s => s.Store.Events.Latest());
        foreach (var (repo, refName, commit) in Store.Use(WatchedHeads)) Pipeline(repo, refName).Update(commit, last);
        // Engines started for a ref that is gone (or no longer watched) while this engine was down are stopped now.
        Starter?.Forget(_pipelines.Values.Select(p => p.ToString()).ToHashSet(StringComparer.Ordinal));
        _jobs.StartPending(_options.AllRepos ? Store.Use(s => s.Store.Repos.List().Select(r => r.Name).ToList()) : _options.Repos);
        Log($"clive up: watching {(_pipelines.Count == 0 ? "no refs yet (push a repo)" : string.Join(", ", _pipelines.Values))}; {Coordinator.Jobs} jobs at once");
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                var next = _pipelines.Values.Select(p => p.NextDue()).Where(d => d is not null).Min();
                var wait = next is { } due ? Clamp(due - DateTimeOffset.UtcNow) : TimeSpan.FromSeconds(1);
                try { await follower.WaitAsync(wait, cancel).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
                last = HandleEvents(last);
                if (Interlocked.Exchange(ref _remoteEnginesChanged, 0) == 1)
                    foreach (var pipeline in _pipelines.Values.ToList()) pipeline.Reevaluate(last);
                while (_reevaluate.TryDequeue(out var again))
                    if (_pipelines.ContainsValue(again)) again.Reevaluate(last);
                foreach (var id in Board.TakeDropped())
                    if (_pipelines.TryGetValue(id, out var dropped)) dropped.Reevaluate(last);
                foreach (var pipeline in _pipelines.Values.ToList())
                    if (pipeline.NextDue() is { } dueAt && dueAt <= DateTimeOffset.UtcNow) pipeline.Reevaluate(last);
            }
        }
        finally
        {
            Log("clive up: stopping");
            foreach (var pipeline in _pipelines.Values) pipeline.Current?.Supersede();
            Coordinator.CancelAll();
            await Coordinator.WhenIdle().ConfigureAwait(false);
            await Services.StopAllAsync().ConfigureAwait(false);
            _stopping.Cancel();
            await flusher.ConfigureAwait(false);
            Board.Flush();
        }
    }

    /// <summary>
    /// `clive run`: evaluates <paramref name="refName"/> of <paramref name="repo"/> now and runs
    /// <paramref name="cell"/> whether or not its result is cached (what it reads is evaluated as usual).
    /// </summary>
    public async Task<CellResult?> RunOnceAsync(string repo, string refName, string cell, CancellationToken cancel)
    {
        var (commit, trigger) = Store.Use(s =>
        {
            long repoId = s.Store.Repos.GetId(repo);
            var head = s.Store.Refs.Resolve(repoId, refName) ?? throw new CliveException($"{repo} has no ref '{refName}'");
            return (head, s.Store.Events.Latest());
        });
        var pipeline = Pipeline(repo, refName);
        var generation = pipeline.Update(commit, trigger, force: cell) ?? throw new CliveException($"{repo} {refName}: {pipeline.Refusal}");
        if (!pipeline.Model.Graph.ByName.ContainsKey(cell))
        {
            var known = pipeline.Model.Graph.Ordered.Select(c => c.Name).ToList();
            throw new CliveException($"no cell '{cell}' in the model of {pipeline} (cells: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
        }
        using var registration = cancel.Register(() => { generation.Supersede(); Coordinator.CancelAll(); });
        var result = await generation.ResultOf(cell).ConfigureAwait(false);
        await Coordinator.WhenIdle().ConfigureAwait(false);
        Board.Flush();
        return result;
    }

    internal async Task<CellResult> RunCellAsync(RefPipeline pipeline, CellDefinition cell, byte[] key, string keyText, string keyFields, Func<InputLayout> layout,
        IReadOnlyDictionary<string, byte[]?> values, EntityRun entities, ModelHost? host, long trigger, bool forced, CancellationToken cancel)
    {
        void Report(CellStatus status) { if (pipeline.Current?.KeyOf(cell.Name) == keyText) pipeline.Current.Report(status); }
        var source = pipeline.Current?.Commit;
        Report(new CellStatus(pipeline.Repo, pipeline.Ref, cell.Name, CellState.Queued, key, source, null, null, null, null, null, null, null, null, null));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var slot = await Coordinator.SlotAsync(cancel).ConfigureAwait(false);
        var queued = clock.Elapsed;
        var started = DateTimeOffset.UtcNow;
        // Not durable on its own: after a kill -9 the row survives (what a restarted engine shows);
        // a power loss may drop it, and the durable status flush that says the cell is done syncs it with the result.
        long runId = Store.Write(s => s.Store.WithoutWaitingForDisk(() => s.Store.Cells.BeginRun(pipeline.Repo, pipeline.Ref, cell.Name, key, trigger, started, keyFields)));
        Report(new CellStatus(pipeline.Repo, pipeline.Ref, cell.Name, CellState.Running, key, source, null, null, null, started, null, null, null, null, null));
        Log($"{pipeline}: {cell.Name}: running");
        var runner = new CellRunner(Store, WorkRoot, Sandbox)
        {
            Echo = forced ? Echo : null,
            Slots = Slots,
            TrustDomain = $"{pipeline.Repo}\n{pipeline.Ref}",
            Started = (pid, startTime) => Report(new CellStatus(pipeline.Repo, pipeline.Ref, cell.Name, CellState.Running, key, source, null, null, null, started,
                null, null, pid, startTime, null)),
        };
        var begun = clock.Elapsed;
        var inputs = layout();
        if (Farm is { } farm && farm.Concerns(cell)
            && await RunOnFarmAsync(farm, pipeline, cell, key, keyText, new RunRequest(cell, keyText, inputs, values, host, entities), runId, slot, cancel).ConfigureAwait(false) is { } onFarm)
            return onFarm;
        if (Dispatch.Concerns(pipeline, cell))
        {
            CellResult? elsewhere;
            try
            {
                elsewhere = await Dispatch.RunAsync(pipeline, cell, key, keyText, inputs, runId,
                    where => Report(new CellStatus(pipeline.Repo, pipeline.Ref, cell.Name, CellState.Running, key, source, null, null, null, started, null, where, null, null, null)),
                    cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException || ErrorPolicy.IsUsersProblem(e))
            {
                Store.Write(s => s.Store.Cells.EndRun(runId, e is OperationCanceledException ? CellState.Cancelled : CellState.Failed, DateTimeOffset.UtcNow));
                throw;
            }
            if (elsewhere is not null)
            {
                slot.Dispose();
                Coordinator.Remember(keyText, elsewhere);
                return elsewhere;
            }
        }
        RunOutcome outcome;
        try
        {
            outcome = await runner.RunAsync(new RunRequest(cell, keyText, inputs, values, host, entities), cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Store.Write(s => s.Store.Cells.EndRun(runId, CellState.Cancelled, DateTimeOffset.UtcNow));
            Log($"{pipeline}: {cell.Name}: cancelled (a newer change made it obsolete)");
            throw;
        }
        var ran = clock.Elapsed;
        // The job slot bounds the commands running at once; storing the result is store work: the
        // next command starts meanwhile (and results that finish together share one commit).
        slot.Dispose();
        if (outcome.Followed.Count > 0)
            Store.Write(s => s.Store.WithoutWaitingForDisk(() => { s.Store.Cells.AddKeyFields(runId, outcome.Followed); return true; }));
        if (outcome.Succeeded && outcome.Sets.Count > 0) outcome = WriteEntities(pipeline, cell, entities, keyText, runId, outcome);
        var result = Writer.Save(cell.Name, key, outcome, runId);
        Coordinator.Remember(keyText, result);
        Clive.Trace.Write($"cell {pipeline}: {cell.Name}: queued {queued.TotalMilliseconds:0.0} ms, run record {(begun - queued).TotalMilliseconds:0.0} ms, "
            + $"run {(ran - begun).TotalMilliseconds:0.0} ms, result stored {(clock.Elapsed - ran).TotalMilliseconds:0.0} ms");
        Log($"{pipeline}: {cell.Name}: {result.State} in {FormatDuration(outcome.Duration)}{(result.ExitCode is { } code and not 0 ? $" (exit code {code})" : "")}");
        return result;
    }

    /// <summary>
    /// The cell run on the Remote Execution API farm and stored as a local run is (its job slot freed
    /// before storing, as a local run's is); null when the farm failed it (the error is logged): it
    /// then runs here, as it would without a farm.
    /// </summary>
    private async Task<CellResult?> RunOnFarmAsync(Remote.Reapi.ReapiExecutor farm, RefPipeline pipeline, CellDefinition cell, byte[] key, string keyText,
        RunRequest request, long runId, IDisposable slot, CancellationToken cancel)
    {
        RunOutcome outcome;
        Remote.Reapi.ReapiSource source;
        try
        {
            (outcome, source) = await farm.RunAsync(request, line => Log($"{pipeline}: {cell.Name}: {line}"), cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Store.Write(s => s.Store.Cells.EndRun(runId, CellState.Cancelled, DateTimeOffset.UtcNow));
            Log($"{pipeline}: {cell.Name}: cancelled (a newer change made it obsolete)");
            throw;
        }
        catch (Clive.Reapi.ReapiException e)
        {
            Log($"{pipeline}: {cell.Name}: {e.Message}; running it here instead");
            return null;
        }
        slot.Dispose();
        bool hit = source == Remote.Reapi.ReapiSource.CacheHit;
        var endpoint = farm.Settings.Endpoint.Name;
        var stored = Writer.Save(cell.Name, key, outcome, runId) with { Origin = $"{(hit ? "action cache hit" : "ran")} on {endpoint}" };
        Coordinator.Remember(keyText, stored);
        Log($"{pipeline}: {cell.Name}: {stored.State} on {endpoint} ({(hit ? "action cache hit" : "ran there")}) in {FormatDuration(outcome.Duration)}"
            + $"{(stored.ExitCode is { } code and not 0 ? $" (exit code {code})" : "")}");
        return stored;
    }

    /// <summary>
    /// A cell that starts engines (<c>.StartsEngines()</c>) has a result: its value is what it wants
    /// now. A value that is no list of engines is logged with the cell's file and line, and changes nothing.
    /// </summary>
    internal void CellResultDeclaresEngines(RefPipeline pipeline, CellDefinition cell, CellResult result)
    {
        if (Starter is null || cell.Declaration is not Clive.Model.ComputeCell { DeclaresEngines: true }) return;
        try
        {
            if (Remote.CellWantedEngines.Of(cell, result) is { } wanted)
                Starter.Declare(Remote.CellWantedEngines.Source(pipeline.ToString(), cell.Name), pipeline.Repo, wanted);
        }
        catch (ModelException e)
        {
            Log($"{pipeline}: {cell.Name}: {e.Message}");
        }
    }

    /// <summary>
    /// Writes the entity versions a maintaining cell's run set, before its result: a lost race leaves
    /// no cached result behind (<see cref="EntityRaceLost"/>), so the next evaluation runs the cell again;
    /// a value that cannot be stored fails the run.
    /// </summary>
    private RunOutcome WriteEntities(RefPipeline pipeline, CellDefinition cell, EntityRun entities, string keyText, long runId, RunOutcome outcome)
    {
        string? lost;
        try
        {
            lost = EntityWrites.Write(Store, pipeline.Repo, cell.Name, entities, keyText, outcome.Sets);
        }
        catch (CellFailure e)
        {
            return outcome with { Succeeded = false, Output = null, Value = null, Stderr = [.. outcome.Stderr, .. System.Text.Encoding.UTF8.GetBytes(e.Message + "\n")] };
        }
        if (lost is null) return outcome;
        Store.Write(s => s.Store.Cells.EndRun(runId, CellState.Cancelled, DateTimeOffset.UtcNow));
        throw new EntityRaceLost(lost);
    }

    /// <summary>A model loaded: its entity types are recorded, and versions pushed meanwhile that wait for a merge are settled.</summary>
    internal void EntityTypesDeclared(RefPipeline pipeline, ObjectId commit, LoadedModel model)
    {
        EntityDeclarations.Record(Store, pipeline.Repo, pipeline.Ref, commit, model.Entities, Log);
        foreach (var name in Merges.Pending(pipeline.Repo))
            if (MergerFor(pipeline.Repo, name) is { } merger) Merges.Request(pipeline.Repo, name, merger);
    }

    /// <summary>
    /// Which model settles a diverged entity: one that declares it, the HEAD branch's first; with no
    /// model of the repo loaded yet, none (it waits for one). Call on the engine's loop.
    /// </summary>
    private EntityMerges.Merger? MergerFor(string repo, string name)
    {
        var loaded = _pipelines.Values.Where(p => p.Repo == repo && p.HasModel).ToList();
        if (loaded.Count == 0) return null;
        var head = Store.Use(s => s.Store.Repos.TryGetId(repo) is { } id ? s.Store.Refs.SymbolicTarget(id, "HEAD") : null);
        var declaring = loaded.Where(p => p.Model.Entities.Any(e => e.Name == name)).OrderByDescending(p => p.Ref == head).FirstOrDefault();
        if (declaring is null) return new EntityMerges.Merger($"no model of {repo}", null, false);
        return new EntityMerges.Merger(declaring.ToString(), declaring.Model.Host, declaring.Model.Entities.First(e => e.Name == name).HasMerge);
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<RefPipeline> _reevaluate = new();

    /// <summary>Evaluates a pipeline again on the engine's loop, within a second (a cell lost a race to write an entity).</summary>
    internal void ReevaluateSoon(RefPipeline pipeline) => _reevaluate.Enqueue(pipeline);

    private long HandleEvents(long last)
    {
        var events = Store.Use(s => s.Store.Events.Since(last));
        if (events.Count == 0) return last;
        var latest = new Dictionary<(string, string), (ObjectId New, long Sequence)>();
        // The models to evaluate again, each with what moved for it: null when its whole model must be keyed again.
        var reread = new Dictionary<RefPipeline, TargetMoves?>();
        void Moved(RefPipeline pipeline, Action<TargetMoves> add)
        {
            if (!reread.TryGetValue(pipeline, out var moves)) reread[pipeline] = moves = new TargetMoves();
            if (moves is not null) add(moves);
        }
        foreach (var e in events)
        {
            last = e.Sequence;
            if (e.Ref.StartsWith(Clive.Dispatch.JobRefs.JobPrefix, StringComparison.Ordinal) || e.Ref.StartsWith(Clive.Dispatch.JobRefs.ResultPrefix, StringComparison.Ordinal))
            {
                // Another engine's job, filed here to run (only in the repos this engine watches: watching a repo is running what is pushed to it).
                if (!e.New.IsZero && (_options.AllRepos || _options.Repos.Contains(e.Repo, StringComparer.Ordinal))) _jobs.Filed(e.Repo, e.Ref, e.New);
                continue;
            }
            if (EntityVersions.NameOf(e.Ref) is { } entity)
            {
                // An entity moved: the models whose cells read or followed it evaluate again.
                foreach (var pipeline in _pipelines.Values)
                    if (pipeline.DependsOnEntity(e.Repo, entity))
                    {
                        Moved(pipeline, moves => moves.Entity(entity));
                        Clive.Trace.Write($"{pipeline}: entity {entity} moved (event {e.Sequence})");
                    }
                continue;
            }
            if (EntityMerges.IncomingName(e.Ref) is { } incoming)
            {
                if (!e.New.IsZero && MergerFor(e.Repo, incoming) is { } merger) Merges.Request(e.Repo, incoming, merger);
                continue;
            }
            if (e.Ref.StartsWith(CellRefs.Prefix, StringComparison.Ordinal))
            {
                // A result: the models that read it evaluate again, unless that would feed back into its producer;
                // and those whose cells followed it (a follower whose value is unchanged stays cached).
                foreach (var reader in _resultReaders.ReadersOf(e.Repo, e.Ref)) reread[reader] = null;
                foreach (var pipeline in _pipelines.Values)
                    if (pipeline.Follows(e.Repo, e.Ref)) Moved(pipeline, moves => moves.Ref(e.Repo, e.Ref));
                continue;
            }
            latest[(e.Repo, e.Ref)] = (e.New, e.Sequence);
            foreach (var pipeline in _pipelines.Values)
            {
                if (pipeline.Reads(e.Repo, e.Ref)) reread[pipeline] = null;
                else if (pipeline.Follows(e.Repo, e.Ref)) Moved(pipeline, moves => moves.Ref(e.Repo, e.Ref));
            }
        }
        foreach (var ((repo, refName), (commit, sequence)) in latest)
        {
            if (_pipelines.TryGetValue((repo, refName), out var pipeline))
            {
                reread.Remove(pipeline);
                if (commit.IsZero)
                {
                    pipeline.Stop();
                    _pipelines.Remove((repo, refName));
                    Log($"{pipeline}: the ref was deleted; stopped");
                }
                else pipeline.Update(commit, sequence);
            }
            else if (!commit.IsZero && Store.Use(s => IsWatched(s, repo, refName)))
            {
                pipeline = Pipeline(repo, refName);
                Log($"clive up: watching {pipeline}");
                pipeline.Update(commit, sequence);
            }
        }
        foreach (var (pipeline, moved) in reread) pipeline.Reevaluate(last, moved);
        return last;
    }

    private RefPipeline Pipeline(string repo, string refName)
    {
        if (!_pipelines.TryGetValue((repo, refName), out var pipeline)) _pipelines[(repo, refName)] = pipeline = new RefPipeline(this, repo, refName);
        return pipeline;
    }

    private List<(string Repo, string Ref, ObjectId Commit)> WatchedHeads(EngineStore s)
    {
        var heads = new List<(string, string, ObjectId)>();
        foreach (var repo in s.Store.Repos.List())
        {
            long repoId = s.Store.Repos.GetId(repo.Name);
            foreach (var r in s.Store.Refs.List(repoId))
                if (r.Target is { } target && IsWatched(s, repo.Name, r.Name)) heads.Add((repo.Name, r.Name, target));
        }
        return heads;
    }

    private bool IsWatched(EngineStore s, string repo, string refName)
    {
        if (!_options.AllRepos && !_options.Repos.Contains(repo, StringComparer.Ordinal)) return false;
        if (!refName.StartsWith("refs/heads/", StringComparison.Ordinal)) return false;
        if (_options.Branches.Count == 0)
            return s.Store.Repos.TryGetId(repo) is { } id && s.Store.Refs.SymbolicTarget(id, "HEAD") == refName;
        var branch = refName["refs/heads/".Length..];
        return _options.Branches.Any(pattern => Inputs.Glob.Of(pattern).Matches(branch));
    }

    /// <summary>A previous engine killed with -9 leaves its commands running: stop them before starting over.</summary>
    private void KillLeftovers()
    {
        foreach (var status in Store.Use(s => s.Store.Cells.Statuses()))
        {
            if (status.Pid is not { } pid) continue;
            ProcessGroup.KillLeftover(pid, status.PidStart);
            Board.Set(status with { State = status.State == CellState.Serving ? CellState.Stopped : CellState.Cancelled, Pid = null, PidStart = null,
                Message = "the engine stopped" });
        }
        Board.Flush();
    }

    private async Task FlushLoopAsync(CancellationToken cancel)
    {
        while (!cancel.IsCancellationRequested)
        {
            try { await Task.Delay(50, cancel).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            try { Board.Flush(); }
            catch (Exception e) when (ErrorPolicy.IsUsersProblem(e))
            {
                Log("clive up: could not write status: " + e.Message);
            }
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;

    public static string FormatDuration(TimeSpan duration)
        => duration.TotalSeconds >= 1 ? $"{duration.TotalSeconds:0.0} s" : $"{duration.TotalMilliseconds:0} ms";

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        await Services.StopAllAsync().ConfigureAwait(false);
        if (Starter is not null) await Starter.DisposeAsync().ConfigureAwait(false);
        Dispatch.Dispose();
        Farm?.Dispose();
        Slots.Dispose();
        Board.Flush();
        Board.Dispose();
        try { Directory.Delete(WorkRoot, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
