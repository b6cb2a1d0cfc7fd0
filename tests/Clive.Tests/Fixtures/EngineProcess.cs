using System.Diagnostics;
using System.Text;
using Clive.Store.Cells;

namespace Clive.Tests.Fixtures;

/// <summary>
/// A real `clive up` on a sandbox's store, started as a user starts it, with its log kept for the
/// test to wait on; stopped with SIGTERM (or killed, for tests that kill it) on dispose.
/// </summary>
public sealed class EngineProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public EngineProcess(GitSandbox sandbox, params string[] options) : this(sandbox, null, options) { }

    /// <summary>An engine on a test host: inside network namespace <paramref name="networkNamespace"/> (see <see cref="TwoHosts"/>).</summary>
    public static EngineProcess InNamespace(GitSandbox sandbox, string networkNamespace, params string[] options) => new(sandbox, networkNamespace, options);

    private EngineProcess(GitSandbox sandbox, string? networkNamespace, string[] options)
    {
        Sandbox = sandbox;
        string[] up = [Binaries.Clive, "up", "--jobs", "2", .. (options.Contains("--repo") ? options : ["--all", .. options])];
        _process = networkNamespace is null
            ? ProcessRunner.Start(up[0], up[1..], sandbox.Root, sandbox.Environment)
            : ProcessRunner.Start("ip", ["netns", "exec", networkNamespace, .. up], sandbox.Root, sandbox.Environment);
        _process.StandardInput.Close();
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        WaitForLog("clive up: watching");
    }

    public GitSandbox Sandbox { get; }

    public int Pid => _process.Id;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public void WaitForLog(string text, int seconds = 60)
        => Wait(() => Log.Contains(text), $"the engine to say '{text}'", seconds);

    /// <summary>Waits until <paramref name="condition"/> holds, failing with the engine's log when it never does.</summary>
    public void Wait(Func<bool> condition, string what, int seconds = 60)
        => Poll.Until(() => condition() || (_process.HasExited
                ? throw new Xunit.Sdk.XunitException($"the engine exited ({_process.ExitCode}) while waiting for {what}; log:\n{Log}") : false),
            what, seconds, () => "engine log:\n" + Log);

    /// <summary>Waits until every named cell of the repo's main branch is in <paramref name="state"/>.</summary>
    public void WaitForCells(string repo, string state, params string[] cells)
        => Wait(() => cells.All(c => Status(repo, c)?.State == state), $"{string.Join(", ", cells)} to be {state}");

    /// <summary>Waits until every named cell shows the status of <paramref name="commit"/> (and, when given, is in <paramref name="state"/>).</summary>
    public void WaitAtCommit(string repo, string commit, string? state, params string[] cells)
        => Wait(() => cells.All(c => Status(repo, c) is { } s && s.Source?.ToString() == commit && (state is null || s.State == state)),
            $"{string.Join(", ", cells)} at {commit[..12]}{(state is null ? "" : " and " + state)}", 300);

    public CellStatus? Status(string repo, string cell)
    {
        using var store = Sandbox.OpenStore();
        return store.Cells.Statuses(repo).FirstOrDefault(s => s.Cell == cell);
    }

    /// <summary>How many times each cell has run (cache misses and forced runs), from the store's run history.</summary>
    public Dictionary<string, int> Runs(string repo)
    {
        using var store = Sandbox.OpenStore();
        return store.Cells.Runs(repo).GroupBy(r => r.Cell).ToDictionary(g => g.Key, g => g.Count());
    }

    public IReadOnlyList<CellRun> RunHistory(string repo)
    {
        using var store = Sandbox.OpenStore();
        return store.Cells.Runs(repo);
    }

    /// <summary>
    /// Waits until the engine has caught up with the repo: every cell shows the commit its branch is
    /// at, none is queued or running, every run is recorded as finished, and neither that nor the
    /// store's events (a result published is one) change for <paramref name="quietMs"/>. That quiet
    /// moment is the point: callers go on to assert that nothing more ran, and a cascade (a result
    /// moving another ref, the evaluation it triggers) restarts it.
    /// </summary>
    public void WaitIdle(string repo, int quietMs = 500)
    {
        string? last = null;
        var quiet = Stopwatch.StartNew();
        Wait(() =>
        {
            var now = Settled(repo);
            if (now is null || now != last)
            {
                last = now;
                quiet.Restart();
                return false;
            }
            return quiet.ElapsedMilliseconds >= quietMs;
        }, "the engine to be idle");
    }

    /// <summary>The repo's runs and statuses when nothing is pending in it, else null.</summary>
    private string? Settled(string repo)
    {
        using var store = Sandbox.OpenStore();
        var statuses = store.Cells.Statuses(repo);
        var runs = store.Cells.Runs(repo);
        if (statuses.Any(s => s.State is CellState.Queued or CellState.Running) || runs.Any(r => r.Finished is null)) return null;
        long repoId = store.Repos.GetId(repo);
        if (statuses.Any(s => s.Source is { } source && store.Refs.Get(repoId, s.Ref) is { } tip && source != tip)) return null;
        return $"{store.Events.Latest()} {runs.Count} " + string.Join(",", statuses.Select(s => $"{s.Ref}:{s.Cell}:{s.State}:{s.Source}:{s.Output}"));
    }

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
    }

    public int Stop()
    {
        if (!_process.HasExited)
        {
            ProcessRunner.Run("kill", ["-TERM", _process.Id.ToString()], Sandbox.Root, Sandbox.Environment);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30))) _process.Kill();
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}
