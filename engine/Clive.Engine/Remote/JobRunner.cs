using Clive.Dispatch;
using Clive.Engine.Evaluation;
using Clive.Engine.Execution;
using Clive.Engine.Results;
using Clive.Git;

namespace Clive.Engine.Remote;

/// <summary>
/// This engine's side of dispatch: runs the jobs other engines filed in a watched repo
/// (<see cref="JobRefs"/>) through the same <see cref="CellRunner"/>, sandbox and job slots as its
/// own cells, and files each result under the job's result ref, where the engine session that
/// waits for it picks it up and signs the claim. A job filed by an identity without the run right
/// there is not run.
/// </summary>
internal sealed class JobRunner(ReactiveEngine engine, CancellationToken stopping)
{
    private readonly HashSet<(string Repo, ObjectId Job)> _running = [];

    /// <summary>Jobs filed while no engine ran (or before a kill): started now.</summary>
    public void StartPending(IEnumerable<string> repos)
    {
        var pending = engine.Store.Use(s =>
        {
            var found = new List<(string, ObjectId)>();
            foreach (var repo in repos)
            {
                if (s.Store.Repos.TryGetId(repo) is not { } id) continue;
                foreach (var r in s.Store.Refs.List(id))
                    if (JobRefs.JobOf(r.Name) is { } job && r.Target == job && s.Store.Refs.Get(id, JobRefs.Result(job)) is null) found.Add((repo, job));
            }
            return found;
        });
        foreach (var (repo, job) in pending) Start(repo, job);
    }

    /// <summary>A job ref moved in a watched repo: run the job unless it runs or ran already.</summary>
    public void Filed(string repo, string refName, ObjectId target)
    {
        if (JobRefs.JobOf(refName) is { } job && target == job) Start(repo, job);
    }

    private void Start(string repo, ObjectId job)
    {
        lock (_running)
            if (!_running.Add((repo, job))) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await RunAsync(repo, job).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The engine is stopping: the job ref stays, the next engine runs it.
            }
            catch (Exception e) when (ErrorPolicy.IsUsersProblem(e))
            {
                engine.Log($"{repo}: job {job.ToString()[..12]}: {e.Message}");
            }
            finally
            {
                lock (_running) _running.Remove((repo, job));
            }
        });
    }

    private async Task RunAsync(string repo, ObjectId job)
    {
        var refName = JobRefs.Job(job);
        var refusal = engine.Store.Use(s =>
        {
            if (s.Store.Repos.TryGetId(repo) is not { } id || s.Store.Refs.Get(id, JobRefs.Result(job)) is not null) return "";
            var filer = ModelTrust.PusherOf(s.Store, repo, refName, job);
            return ModelTrust.RefusalToRun(s.Store, filer, repo, refName);
        });
        if (refusal == "") return;
        if (refusal is not null)
        {
            engine.Log($"{repo}: job {job.ToString()[..12]}: {refusal}");
            return;
        }
        var (cell, layout) = JobAction.Read(engine.Store, job);
        engine.Log($"{repo}: job {job.ToString()[..12]}: {cell.Name}: running for another engine");
        using var slot = await engine.Coordinator.SlotAsync(stopping).ConfigureAwait(false);
        var runner = new CellRunner(engine.Store, engine.WorkRoot, engine.Sandbox)
        {
            Slots = engine.Slots,
            // Jobs of one repo share kept sandboxes, never with its branches' own cells.
            TrustDomain = $"{repo}\n{JobRefs.JobPrefix}",
        };
        var entities = new EntityRun(engine.Store, repo, $"job:{job}", new HashSet<string>());
        var outcome = await runner.RunAsync(new RunRequest(cell, job.ToString(), layout, new Dictionary<string, byte[]?>(), null, entities), stopping)
            .ConfigureAwait(false);
        slot.Dispose();
        var result = engine.Writer.SaveJob(repo, JobRefs.Result(job), cell.Name, job.ToBytes(), outcome);
        engine.Log($"{repo}: job {job.ToString()[..12]}: {cell.Name}: {result.State} in {ReactiveEngine.FormatDuration(outcome.Duration)}");
    }
}
