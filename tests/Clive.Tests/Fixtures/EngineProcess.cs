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

    public EngineProcess(GitSandbox sandbox, params string[] options)
    {
        Sandbox = sandbox;
        _process = ProcessRunner.Start(Path.Combine(AppContext.BaseDirectory, "clive"), ["up", "--jobs", "2", .. (options.Contains("--repo") ? options : ["--all", .. options])], sandbox.Root, sandbox.Environment);
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
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds)) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; engine log:\n{Log}");
            if (_process.HasExited) throw new Xunit.Sdk.XunitException($"the engine exited ({_process.ExitCode}) while waiting for {what}; log:\n{Log}");
            Thread.Sleep(25);
        }
    }

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

    /// <summary>Waits until no cell of the repo is queued or running and the status has settled.</summary>
    public void WaitIdle(string repo)
    {
        Thread.Sleep(300);
        Wait(() =>
        {
            using var store = Sandbox.OpenStore();
            return store.Cells.Statuses(repo).All(s => s.State is not (CellState.Queued or CellState.Running))
                && store.Cells.Runs(repo).All(r => r.Finished is not null);
        }, "the engine to be idle");
        Thread.Sleep(200);
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
