using System.Diagnostics;
using Clive.Engine.Graph;
using Clive.Engine.Scripting;
using Clive.Git;
using Clive.Model;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// One watched ref: its model (reloaded when a script changes; the last good one kept when a new
/// one does not compile) and its live generation.
/// </summary>
internal sealed class RefPipeline
{
    private readonly ReactiveEngine _engine;
    private LoadedModel _model = LoadedModel.Empty;
    private bool _modelLoaded;

    public RefPipeline(ReactiveEngine engine, string repo, string refName)
    {
        _engine = engine;
        Repo = repo;
        Ref = refName;
        Entities = new EntityDependents(() => _model.Graph);
    }

    /// <summary>The entities of the repo its cells read or followed.</summary>
    public EntityDependents Entities { get; }

    public string Repo { get; }
    public string Ref { get; }
    public Generation? Current { get; private set; }
    public LoadedModel Model => _model;

    /// <summary>Whether a model has loaded (an empty one included).</summary>
    public bool HasModel => _modelLoaded;

    public override string ToString() => $"{Repo}@{CellRefsShort}";

    private string CellRefsShort => CellRefs.ShortName(Ref);

    /// <summary>Why the current commit was not evaluated (its pusher may not have models run), or null.</summary>
    public string? Refusal { get; private set; }

    /// <summary>
    /// Evaluates <paramref name="commit"/>: loads its model if the scripts changed, then starts a
    /// generation; or, when whoever pushed it may not have models run here, evaluates nothing and says so.
    /// </summary>
    public Generation? Update(ObjectId commit, long trigger, string? force = null, TargetMoves? moved = null)
    {
        var (pusher, refusal) = _engine.Store.Use(s =>
        {
            var who = ModelTrust.PusherOf(s.Store, Repo, Ref, commit);
            return (who, ModelTrust.RefusalToRun(s.Store, who, Repo, Ref));
        });
        Refusal = refusal;
        if (refusal is not null)
        {
            Refuse(commit, refusal);
            return null;
        }
        var tree = _engine.Store.Use(s => s.Trees.TreeOfCommit(commit));
        var (sources, digest) = _engine.Store.Use(s => _engine.Loader.ReadSources(tree));
        if (!_modelLoaded || digest != _model.Digest) LoadModel(commit, sources, digest);
        var previous = Current;
        Current = new Generation(this, _engine, commit, tree, _model, trigger, force, pusher, previous, moved);
        Current.Start();
        previous?.Supersede();
        return Current;
    }

    /// <summary>
    /// Evaluates the current commit again: a recurring cell is due, or a ref it reads moved; or only
    /// <paramref name="moved"/> did (entities, followed targets): then only the cells touching them get new keys.
    /// </summary>
    public void Reevaluate(long trigger, TargetMoves? moved = null)
    {
        if (Current is { } current) Update(current.Commit, trigger, moved: moved);
    }

    /// <summary>An untrusted commit: the generation of the last trusted one stops (its results stay), and the status says why.</summary>
    private void Refuse(ObjectId commit, string refusal)
    {
        Current?.Supersede();
        Current = null;
        _engine.Log($"{this}: {commit.ToString()[..12]}: {refusal}");
        _engine.Board.SetModel(new ModelStatus(Repo, Ref, commit, "refused", refusal, _model.Graph.Ordered.Count, DateTimeOffset.UtcNow),
            _model.Graph.Ordered.Select(c => c.Name).ToList());
    }

    private void LoadModel(ObjectId commit, IReadOnlyList<ScriptSources> sources, string digest)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var model = _engine.Loader.Load(sources, digest, _engine.Sandbox);
            var old = _model;
            _model = model;
            _modelLoaded = true;
            _engine.Log($"{this}: model {(sources.Count == 0 ? "empty (no clive.csx)" : $"loaded: {model.Graph.Ordered.Count} cells from {sources.Count} script(s)")} in {clock.ElapsedMilliseconds} ms");
            _engine.Board.SetModel(new ModelStatus(Repo, Ref, commit, "ok", null, model.Graph.Ordered.Count, DateTimeOffset.UtcNow),
                model.Graph.Ordered.Select(c => c.Name).ToList());
            _engine.Services.StopMissing(this, model.Graph.ByName.Values.Where(c => c.Kind == CellKind.Service).Select(c => c.Name).ToHashSet());
            Entities.Keep(model.Graph.ByName.Keys);
            _engine.EntityTypesDeclared(this, commit, model);
            _engine.Starter?.Declare(ToString(), Repo, model.Engines);
            _engine.Starter?.Retain(ToString(), model.Graph.Ordered.Where(c => c.Declaration is ComputeCell { DeclaresEngines: true })
                .Select(c => Remote.CellWantedEngines.Source(ToString(), c.Name)).ToHashSet(StringComparer.Ordinal));
            // The old version unloads once no generation or run holds its functions.
            if (!ReferenceEquals(old, LoadedModel.Empty)) old.Dispose();
        }
        catch (CliveException e)
        {
            // A model that does not compile or load, or a model host that cannot start: the last good model stays.
            _engine.Log($"{this}: the model at {commit.ToString()[..12]} does not load; the last good one stays:\n{e.Message}");
            _engine.Board.SetModel(new ModelStatus(Repo, Ref, commit, "error", e.Message, _model.Graph.Ordered.Count, DateTimeOffset.UtcNow),
                _model.Graph.Ordered.Select(c => c.Name).ToList());
        }
    }

    /// <summary>When the next recurring cell is due, if the model has any.</summary>
    public DateTimeOffset? NextDue()
    {
        if (Current is not { } current) return null;
        long now = current.Now.ToUnixTimeMilliseconds();
        return current.Model.Graph.Periods
            .Select(period => (long)period.TotalMilliseconds)
            .Select(ms => (DateTimeOffset?)DateTimeOffset.FromUnixTimeMilliseconds((now / ms + 1) * ms))
            .Min();
    }

    /// <summary>Whether a cell of the model reads or followed entity <paramref name="entity"/> of <paramref name="entityRepo"/>.</summary>
    public bool DependsOnEntity(string entityRepo, string entity) => entityRepo == Repo && Entities.DependsOn(entity);

    /// <summary>Whether a cell of the model followed (<c>ctx.Follow</c>) a cell's result or a ref at <paramref name="otherRef"/> of <paramref name="otherRepo"/>.</summary>
    public bool Follows(string otherRepo, string otherRef) => Entities.Follows(otherRepo, otherRef);

    /// <summary>Whether a cell of the model reads <paramref name="otherRef"/> of <paramref name="otherRepo"/>.</summary>
    public bool Reads(string otherRepo, string otherRef)
        => _model.Graph.RefInputs.Any(i => (i.Repo.Length == 0 ? Repo : i.Repo) == otherRepo
            && Clive.Store.Refs.ShortRefName.CouldMean(i.Ref, otherRef));

    /// <summary>Whether <paramref name="otherRef"/> of <paramref name="otherRepo"/> is one of this pipeline's results (refs/clive/cells/&lt;branch&gt;/…).</summary>
    public bool Publishes(string otherRepo, string otherRef)
        => otherRepo == Repo && otherRef.StartsWith(ResultPrefix, StringComparison.Ordinal);

    /// <summary>Whether a cell of the model reads a result that <paramref name="other"/> publishes (its own included).</summary>
    public bool ReadsResultsOf(RefPipeline other)
        => _model.Graph.RefInputs.Any(i => (i.Repo.Length == 0 ? Repo : i.Repo) == other.Repo
            && Clive.Store.Refs.ShortRefName.Candidates(i.Ref).Any(full => full.StartsWith(other.ResultPrefix, StringComparison.Ordinal)));

    private string ResultPrefix => CellRefs.For(Ref, "");

    public void Stop()
    {
        Current?.Supersede();
        Current = null;
        _engine.Services.StopMissing(this, new HashSet<string>());
        // The ref is gone: so are the engines its model declared.
        _engine.Starter?.Declare(ToString(), Repo, []);
        _engine.Starter?.Retain(ToString(), new HashSet<string>());
    }
}
