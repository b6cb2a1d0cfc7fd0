using Clive.Engine.Execution;
using Clive.Engine.Sandboxing;
using Clive.Engine.Graph;
using Clive.Git;
using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Service cells: a process started when its inputs are ready, restarted (SIGTERM, then SIGKILL
/// after its grace period) when its key changes, and stopped with the engine. Output goes to a log
/// file that `clive logs` reads while it runs.
/// </summary>
internal sealed class ServiceSupervisor(ReactiveEngine engine)
{
    private readonly Dictionary<(string Repo, string Ref, string Cell), Running> _services = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    private sealed record Running(string Key, ProcessGroup Group, string WorkDirectory, FileStream Log, TimeSpan Grace, DateTimeOffset Started, string LogPath);

    /// <summary>Starts the service, or restarts it when its key changed; each start is a run, with its key's fields for `clive why`.</summary>
    public async Task EnsureAsync(RefPipeline pipeline, CellDefinition cell, CellKey cellKey, Func<InputLayout> layout, ObjectId source, long trigger)
    {
        var id = (pipeline.Repo, pipeline.Ref, cell.Name);
        var (key, keyText) = (cellKey.Bytes, cellKey.Hex);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_services.TryGetValue(id, out var running))
            {
                if (running.Key == keyText && !running.Group.HasExited)
                {
                    // Still the right process: only the commit it serves for moved on.
                    pipeline.Current?.Report(new CellStatus(pipeline.Repo, pipeline.Ref, cell.Name, CellState.Serving, key, source, null, null, null,
                        running.Started, null, null, running.Group.Pid, running.Group.StartTime, running.LogPath));
                    return;
                }
                engine.Log($"{pipeline}: {cell.Name}: restarting (its inputs changed)");
                await StopAsync(id, running).ConfigureAwait(false);
            }
            var work = Path.Combine(engine.WorkRoot, "services", cell.Name.Replace('/', '_') + "-" + keyText[..12]);
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            var tree = Path.Combine(work, "tree");
            layout().Materialize(engine.Store, tree);
            var directory = Path.Combine(tree, cell.Declaration.Directory);
            Directory.CreateDirectory(directory);
            var logPath = Path.Combine(engine.LogRoot, pipeline.Repo.Replace('/', '_'), CellRefs.ShortName(pipeline.Ref).Replace('/', '_'), cell.Name.Replace('/', '_') + ".log");
            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            var log = new FileStream(logPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
            var command = cell.Service!;
            var environment = new Dictionary<string, string>(command.Environment) { [Clive.Model.CellEnvironment.CellName] = cell.Name };
            var sandboxed = engine.Sandbox.Wrap(ProcessGroup.CommandOf(command.CommandLine, command.UsesShell),
                new SandboxSpec([new SandboxBind(tree, Sandbox.TreeInside)], command.UsesNetwork, CellRunner.InsideTree(cell.Declaration.Directory), environment));
            var group = ProcessGroup.Start(sandboxed, directory, log, log);
            var started = DateTimeOffset.UtcNow;
            var service = new Running(keyText, group, work, log, command.GracePeriod, started, logPath);
            _services[id] = service;
            engine.Store.Write(s => s.Store.Cells.EndRun(s.Store.Cells.BeginRun(pipeline.Repo, pipeline.Ref, cell.Name, key, trigger, started, cellKey.ToText()), CellState.Serving, started));
            pipeline.Current?.Report(new CellStatus(pipeline.Repo, pipeline.Ref, cell.Name, CellState.Serving, key, source, null, null, null, started, null,
                null, group.Pid, group.StartTime, logPath));
            engine.Log($"{pipeline}: {cell.Name}: started (pid {group.Pid})");
            _ = WatchExitAsync(pipeline, cell.Name, service, key, source, started, logPath);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A service that exits by itself is shown as stopped (or failed) until its inputs change again.</summary>
    private async Task WatchExitAsync(RefPipeline pipeline, string cell, Running service, byte[] key, ObjectId source, DateTimeOffset started, string logPath)
    {
        await service.Group.Exited.ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var id = (pipeline.Repo, pipeline.Ref, cell);
            if (!_services.TryGetValue(id, out var current) || !ReferenceEquals(current, service)) return; // stopped by us
            var exit = await service.Group.WaitAsync(CancellationToken.None, TimeSpan.Zero).ConfigureAwait(false);
            _services.Remove(id);
            service.Log.Dispose();
            engine.Log($"{pipeline}: {cell}: exited with code {exit}");
            engine.Board.Set(new CellStatus(pipeline.Repo, pipeline.Ref, cell, exit == 0 ? CellState.Stopped : CellState.Failed, key, source, null, null,
                (long)(DateTimeOffset.UtcNow - started).TotalMilliseconds, started, DateTimeOffset.UtcNow, $"exited with code {exit}", null, null, logPath));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops a ref's services that its model no longer declares.</summary>
    public void StopMissing(RefPipeline pipeline, IReadOnlySet<string> keep)
    {
        _gate.Wait();
        try
        {
            foreach (var (id, running) in _services.Where(s => s.Key.Repo == pipeline.Repo && s.Key.Ref == pipeline.Ref && !keep.Contains(s.Key.Cell)).ToList())
            {
                StopAsync(id, running).GetAwaiter().GetResult();
                engine.Log($"{pipeline}: {id.Cell}: stopped (no longer in the model)");
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task StopAllAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_services.ToList().Select(s => StopAsync(s.Key, s.Value))).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StopAsync((string Repo, string Ref, string Cell) id, Running running)
    {
        _services.Remove(id);
        await running.Group.StopAsync(running.Grace).ConfigureAwait(false);
        running.Log.Dispose();
        running.Group.Dispose();
        try { Directory.Delete(running.WorkDirectory, recursive: true); }
        catch (IOException) { }
        engine.Board.Set(new CellStatus(id.Repo, id.Ref, id.Cell, CellState.Stopped, null, null, null, null, null, null, DateTimeOffset.UtcNow,
            "stopped", null, null, null));
    }
}
