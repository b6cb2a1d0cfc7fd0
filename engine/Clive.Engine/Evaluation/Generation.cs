using System.Security.Cryptography;
using Clive.Access;
using Clive.Engine.Execution;
using Clive.Engine.Graph;
using Clive.Engine.Inputs;
using Clive.Engine.Scripting;
using Clive.Git;
using Clive.Model;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// One evaluation of a model at one commit. Every cell waits for the cells it reads, computes its
/// key from its definition and its inputs' ids, and runs only when no result for that key exists.
/// An unchanged output gives its dependents unchanged keys, so they stop there (early cutoff).
/// A newer commit supersedes the generation: it stops reporting, and runs only it wanted are cancelled.
/// Evaluating the same commit again after entities or followed targets moved, a cell that reads and
/// follows none of them, and whose input cells' results are unchanged, keeps its previous key and
/// result without computing its key again: one entity move costs its readers, not the whole model.
/// </summary>
internal sealed class Generation
{
    private readonly RefPipeline _pipeline;
    private readonly ReactiveEngine _engine;
    private readonly CancellationTokenSource _superseded = new();
    private readonly Dictionary<string, Task<CellResult?>> _results = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly List<(string Key, Task<CellResult> Run)> _acquired = [];
    private readonly string? _force;
    private Generation? _previous;
    private readonly TargetMoves? _moved;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private int _ran;
    private int _keyed;

    public Generation(RefPipeline pipeline, ReactiveEngine engine, ObjectId commit, ObjectId tree, LoadedModel model, long trigger, string? force,
        Principal runsAs, Generation? previous = null, TargetMoves? moved = null)
    {
        // Only a generation of the same commit and model, evaluated whole, can lend its keys and results.
        if (previous is not null && moved is not null && force is null && previous._force is null && previous.Commit == commit
            && ReferenceEquals(previous.Model, model) && previous.RunsAs == runsAs)
        {
            _previous = previous;
            _moved = moved;
        }
        RunsAs = runsAs;
        _pipeline = pipeline;
        _engine = engine;
        Commit = commit;
        Tree = tree;
        Model = model;
        Trigger = trigger;
        _force = force;
        Now = DateTimeOffset.UtcNow;
    }

    public ObjectId Commit { get; }

    /// <summary>Whose rights the model's reads are checked against: the identity that pushed the commit.</summary>
    public Principal RunsAs { get; }
    public ObjectId Tree { get; }
    public LoadedModel Model { get; }
    public long Trigger { get; }
    public DateTimeOffset Now { get; }
    public Task Completion { get; private set; } = Task.CompletedTask;
    private bool IsCurrent => !_superseded.IsCancellationRequested;

    public Task<CellResult?> ResultOf(string cell) => _results[cell];

    public string? KeyOf(string cell)
    {
        lock (_keys) return _keys.GetValueOrDefault(cell);
    }

    /// <summary>Starts every cell; those with nothing to run finish before this returns.</summary>
    public void Start()
    {
        // A forced run (clive run) brings only what the cell reads up to date, not the whole model.
        var wanted = _force is null ? null : Closure(_force);
        foreach (var cell in Model.Graph.Ordered)
            if (wanted is null || wanted.Contains(cell.Name)) _results[cell.Name] = EvaluateAsync(cell);
        Completion = Task.WhenAll(_results.Values);
        Completion.ContinueWith(done =>
        {
            _previous = null; // what it lent is kept in this generation's own results: the chain of generations ends here
            // A cell's evaluation that failed in the engine itself: said, never swallowed.
            foreach (var failure in done.Exception?.Flatten().InnerExceptions ?? [])
                _engine.Log($"{_pipeline}: {Commit.ToString()[..12]}: evaluation failed: {failure}");
            if (IsCurrent) _engine.Log($"{_pipeline}: {Commit.ToString()[..12]}: {_results.Count} cells evaluated in {_clock.Elapsed.TotalMilliseconds:0.0} ms, {_ran} ran, {_keyed} keyed");
        }, TaskScheduler.Default);
    }

    private HashSet<string> Closure(string cell)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([cell]);
        while (pending.TryPop(out var name))
            if (Model.Graph.ByName.TryGetValue(name, out var definition) && closure.Add(name))
                foreach (var dependency in definition.CellDependencies) pending.Push(dependency);
        return closure;
    }

    /// <summary>A newer generation is live: report nothing more, and give up runs no one else wants.</summary>
    public void Supersede()
    {
        _superseded.Cancel();
        lock (_acquired)
            foreach (var (key, run) in _acquired) _engine.Coordinator.Release(key, run);
    }

    private async Task<CellResult?> EvaluateAsync(CellDefinition cell)
    {
        var dependencies = new Dictionary<string, CellResult>(StringComparer.Ordinal);
        foreach (var name in cell.CellDependencies.Distinct())
        {
            var result = await _results[name].ConfigureAwait(false);
            if (result is null || !result.Succeeded)
            {
                Report(new CellStatus(_pipeline.Repo, _pipeline.Ref, cell.Name, CellState.Blocked, null, Commit, null, null, null, null, null,
                    $"blocked by {name}", null, null, null));
                return null;
            }
            dependencies[name] = result;
        }
        if (!IsCurrent) return null;
        if (Unchanged(cell, dependencies) is { } kept)
        {
            Report(StatusBoard.FromResult(_pipeline.Repo, _pipeline.Ref, Commit, kept));
            return kept;
        }
        var keyClock = System.Diagnostics.Stopwatch.StartNew();

        if (_engine.Store.Use(s => ModelTrust.RefusalToRead(s.Store, RunsAs, _pipeline.Repo, cell.Inputs)) is { } refusal)
        {
            Report(new CellStatus(_pipeline.Repo, _pipeline.Ref, cell.Name, CellState.Failed, null, Commit, null, null, null, null, null,
                refusal, null, null, null));
            return null;
        }
        Interlocked.Increment(ref _keyed);
        var resolved = _engine.Store.Use(s => Resolve(s, cell, dependencies));
        var key = resolved.Key.Bytes;
        var keyText = resolved.Key.Hex;
        lock (_keys) _keys[cell.Name] = keyText;

        if (cell.Kind == CellKind.Service)
        {
            await _engine.Services.EnsureAsync(_pipeline, cell, resolved.Key, resolved.Layout, Commit, Trigger).ConfigureAwait(false);
            return null;
        }
        if (_force != cell.Name && Cached(cell, key, keyText, resolved.Entities) is { } cached)
        {
            _pipeline.Entities.Followed(cell.Name, cached.Followed);
            Report(StatusBoard.FromResult(_pipeline.Repo, _pipeline.Ref, Commit, cached));
            _engine.CellResultDeclaresEngines(_pipeline, cell, cached);
            return cached;
        }

        Interlocked.Increment(ref _ran);
        Clive.Trace.Write($"cell {_pipeline}: {cell.Name}: key and cache lookup {keyClock.Elapsed.TotalMilliseconds:0.00} ms");
        var run = _engine.Coordinator.Acquire(keyText, cancel => _engine.RunCellAsync(_pipeline, cell, key, keyText, resolved.Key.ToText(), resolved.Layout, resolved.Values,
            resolved.Entities, Model.Host, Trigger, _force == cell.Name, cancel));
        lock (_acquired) _acquired.Add((keyText, run));
        try
        {
            var result = await run.WaitAsync(_superseded.Token).ConfigureAwait(false);
            _pipeline.Entities.Followed(cell.Name, result.Followed);
            // A run joined in flight may have followed a version that moved before it finished (its event already handled): evaluate again.
            if (result.Followed.Count > 0 && !_engine.Store.Use(s => EntityRun.StillCurrent(s, _pipeline.Repo, resolved.Entities.CellId, resolved.Entities.Maintained, result.Followed)))
                _engine.ReevaluateSoon(_pipeline);
            Report(StatusBoard.FromResult(_pipeline.Repo, _pipeline.Ref, Commit, result));
            _engine.CellResultDeclaresEngines(_pipeline, cell, result);
            return result;
        }
        catch (EntityRaceLost lost)
        {
            // Another writer moved the entity while the cell ran: nothing of the run is kept, and the model evaluates again on the new version.
            _engine.Log($"{_pipeline}: {cell.Name}: {lost.Message}; evaluating again");
            Report(new CellStatus(_pipeline.Repo, _pipeline.Ref, cell.Name, CellState.Cancelled, key, Commit, null, null, null, null, null,
                lost.Message, null, null, null));
            _engine.ReevaluateSoon(_pipeline);
            return null;
        }
        catch (OperationCanceledException)
        {
            Report(new CellStatus(_pipeline.Repo, _pipeline.Ref, cell.Name, CellState.Cancelled, key, Commit, null, null, null, null, null,
                "cancelled", null, null, null));
            return null;
        }
        catch (Exception e) when (ErrorPolicy.IsUsersProblem(e))
        {
            // The engine could not run it (no setsid, disk full): the cell fails, the rest goes on.
            _engine.Log($"{_pipeline}: {cell.Name}: {e.Message}");
            Report(new CellStatus(_pipeline.Repo, _pipeline.Ref, cell.Name, CellState.Failed, key, Commit, null, null, null, null, null,
                e.Message, null, null, null));
            return null;
        }
    }

    /// <summary>
    /// The previous generation's result of <paramref name="cell"/>, with its key, when nothing it reads
    /// or follows moved since and the cells it reads gave the same outputs and values; else null.
    /// </summary>
    private CellResult? Unchanged(CellDefinition cell, Dictionary<string, CellResult> dependencies)
    {
        if (_previous is not { } previous || _moved is not { } moved) return null;
        // Services are ensured on every evaluation; a recurring cell's key holds the time.
        if (cell.Kind == CellKind.Service || cell.Declaration.Period is not null) return null;
        if (!previous._results.TryGetValue(cell.Name, out var before) || !before.IsCompletedSuccessfully || before.Result is not { } result) return null;
        if (previous.KeyOf(cell.Name) is not { } key) return null;
        if (moved.Touch(cell, _pipeline.Entities.FollowedBy(cell.Name))) return null;
        foreach (var (name, now) in dependencies)
            if (!previous._results.TryGetValue(name, out var was) || !was.IsCompletedSuccessfully || was.Result is not { } then || !SameOutput(then, now))
                return null;
        lock (_keys) _keys[cell.Name] = key;
        return result;
    }

    private static bool SameOutput(CellResult a, CellResult b)
        => ReferenceEquals(a, b) || (a.Output == b.Output && (a.Value ?? []).AsSpan().SequenceEqual(b.Value ?? []));

    private CellResult? Cached(CellDefinition cell, byte[] key, string keyText, EntityRun entities)
    {
        var cached = _engine.Coordinator.Known(keyText) ?? _engine.Store.Use(s => s.Store.Cells.Result(key));
        if (cached is null) return null;
        // Entities the run followed are not in the key (they are known only once it ran): each must still be where it was.
        if (cached.Followed.Count > 0
            && !_engine.Store.Use(s => EntityRun.StillCurrent(s, _pipeline.Repo, entities.CellId, entities.Maintained, cached.Followed)))
            return null;
        // A gc since the result was cached (in another process, perhaps) may have dropped it; the
        // cell then runs again rather than publish a missing commit. gc that runs after this
        // check is caught where the ref is published (StatusBoard).
        var commit = cached.Commit;
        if (!_engine.Store.Use(s => s.Store.Objects.IsStored(commit)))
        {
            _engine.Coordinator.Forget(keyText);
            _engine.Log($"{_pipeline}: {cached.Cell}: its cached result was dropped by clive gc; running again");
            return null;
        }
        _engine.Coordinator.Remember(keyText, cached);
        return cached;
    }

    public void Report(CellStatus status)
    {
        if (IsCurrent) _engine.Board.Set(status);
    }

    /// <summary>The cell's key, field by field (what `clive why` compares), and, to build only on a cache miss, the directory layout.</summary>
    private (CellKey Key, Func<InputLayout> Layout, IReadOnlyDictionary<string, byte[]?> Values, EntityRun Entities) Resolve(EngineStore s, CellDefinition cell,
        IReadOnlyDictionary<string, CellResult> dependencies)
    {
        var maintained = (cell.Declaration as ComputeCell)?.Maintained.ToHashSet(StringComparer.Ordinal) ?? [];
        var entities = new EntityRun(_engine.Store, _pipeline.Repo, EntityVersions.CellId(_pipeline.Repo, _pipeline.Ref, cell.Name), maintained,
            (store, repo, refName, how) => ModelTrust.RefusalToRead(store.Store, RunsAs, repo, refName, how));
        var entityFiles = new List<FileEntry>();
        var fields = new List<KeyField>
        {
            new("engine", "", CellDefinition.EngineVersion),
            new("declaration", "", Convert.ToHexStringLower(cell.Digest)),
        };
        // A compute cell's function is compiled and run here: what compiles and runs it is an input too.
        if (cell.Kind == CellKind.Compute) fields.AddRange(ScriptCompiler.KeyFields);
        var placed = new List<(string At, IReadOnlyList<FileEntry>? Files, ObjectId? Tree)>();
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var directory = cell.Declaration.Directory;
        foreach (var input in cell.Inputs)
        {
            switch (input)
            {
                case FilesInput files:
                    var globs = files.Globs.Select(g => CellDefinition.Resolve(files.Directory, g)).ToList();
                    var set = s.Matcher.Match(Tree, globs);
                    fields.Add(new("files", CellDefinition.QuoteAll(globs), Convert.ToHexStringLower(set.Digest)));
                    placed.Add(("", set.Files, null));
                    break;
                case CellOutputInput output:
                    var result = dependencies[output.Cell];
                    fields.Add(new("cell", output.Cell,
                        $"output {(result.Output ?? ObjectId.Zero)} value {Convert.ToHexStringLower(SHA256.HashData(result.Value ?? []))}"));
                    values[output.Cell] = result.Value;
                    var at = ModelPaths.Resolve(directory, output.At == output.Cell ? ShortName(output.Cell) : output.At);
                    if (result.Output is { } tree) placed.Add((at, null, tree));
                    break;
                case RefInput other:
                    var repo = other.Repo.Length == 0 ? _pipeline.Repo : other.Repo;
                    var commit = s.Store.Repos.TryGetId(repo) is { } repoId ? s.Store.Refs.Resolve(repoId, other.Ref) : null;
                    var subject = CellDefinition.QuoteAll([repo, other.Ref, other.Glob]);
                    if (commit is { } c)
                    {
                        var refSet = s.Matcher.Match(s.Trees.TreeOfCommit(c), IsCellResult(other.Ref) ? [other.Glob, "!result"] : [other.Glob]);
                        fields.Add(new("ref", subject, Convert.ToHexStringLower(refSet.Digest)));
                        placed.Add((ModelPaths.Resolve(directory, other.At), refSet.Files, null));
                    }
                    else fields.Add(new("ref", subject, "absent"));
                    break;
                case EntityInput read:
                    var seen = EntityVersions.Seen(s, _pipeline.Repo, read.Entity, maintained.Contains(read.Entity) ? entities.CellId : null);
                    fields.Add(new("entity", read.Entity, seen.KeyValue));
                    if (seen.Json is { } json) entityFiles.Add(new FileEntry(ModelPaths.Resolve(directory, read.At), TreeEntry.RegularFile, json));
                    if (cell.Kind == CellKind.Compute) entities.Reads[read.Entity] = EntityVersions.Value(s, seen);
                    break;
            }
        }
        if (cell.Declaration.Period is { } period)
            fields.Add(new("period", period.ToString(), (Now.ToUnixTimeMilliseconds() / (long)period.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // What its writes compare-and-swap against: the versions as the key saw them.
        foreach (var name in maintained) entities.Expected[name] = EntityVersions.Head(s, _pipeline.Repo, name);
        InputLayout Layout() => _engine.Store.Use(store =>
        {
            var layout = new InputLayout();
            foreach (var (at, files, tree) in placed)
                layout.AddAll(at, files ?? store.Trees.Files(tree!.Value, "").ToList());
            foreach (var file in entityFiles) layout.Add(file);
            return layout;
        });
        return (new CellKey(fields), Layout, values, entities);
    }

    /// <summary>
    /// Whether a ref name means another cell's result. Its `result` file records each run (its
    /// duration, its key) and is left out of what the reader sees, so a rerun that gives the same
    /// output leaves the reader's key alone (early cutoff across models).
    /// </summary>
    private static bool IsCellResult(string refName)
        => Clive.Store.Refs.ShortRefName.Candidates(refName).Any(full => full.StartsWith(CellRefs.Prefix + "cells/", StringComparison.Ordinal));

    private static string ShortName(string cell) => cell[(cell.LastIndexOf('/') + 1)..];
}
