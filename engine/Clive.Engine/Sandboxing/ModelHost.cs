using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Clive.Engine.Graph;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// The engine's side of a model host (<see cref="ModelHostServer"/>): a sandboxed process that holds
/// one model version, started when the model loads and retired when the next version is live. Runs
/// in flight finish first. A host that dies is started again for the next run, so a cell that kills
/// it fails only the runs it shared the process with, and those as a <see cref="HostFailure"/>, never a cached result.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly Sandbox _sandbox;
    private readonly List<ScriptImage> _scripts;
    private readonly object _gate = new();
    private HostProcess? _current;
    private bool _retired;

    private ModelHost(Sandbox sandbox, List<ScriptImage> scripts)
    {
        _sandbox = sandbox;
        _scripts = scripts;
    }

    /// <summary>Starts a host for these compiled scripts; returns it with the cells and entities they declare, or throws <see cref="ModelException"/>.</summary>
    public static (ModelHost Host, HostReply Declared) Start(Sandbox sandbox, IReadOnlyList<ScriptImage> scripts)
    {
        var host = new ModelHost(sandbox, scripts.ToList());
        var process = HostProcess.Start(sandbox);
        try
        {
            var declared = process.Load(host._scripts);
            host._current = process;
            return (host, declared);
        }
        catch
        {
            process.Kill();
            throw;
        }
    }

    /// <summary>
    /// Runs a compute cell in the host. A failing function is a reply with an error; a failing host is a <see cref="HostFailure"/>.
    /// <paramref name="follow"/> answers the run's questions for entities it follows: their value, or why there is none.
    /// </summary>
    public async Task<HostReply> ComputeAsync(string cell, Dictionary<string, byte[]> files, Dictionary<string, byte[]?> values,
        Dictionary<string, byte[]?> entities, Func<string, (byte[]? Value, string? Error)> follow, string home, CancellationToken cancel)
    {
        var process = LiveProcess();
        var (id, reply) = process.Send(new HostRequest { Kind = HostRequest.Compute, Cell = cell, Files = files, Values = values, Entities = entities, Home = home },
            follow);
        using var registration = cancel.Register(() => process.TrySend(new HostRequest { Kind = HostRequest.Cancel, Id = id }));
        var answer = await reply.ConfigureAwait(false);
        cancel.ThrowIfCancellationRequested();
        return answer;
    }

    /// <summary>Merges two versions of an entity with the model's function: a reply with the merged <see cref="HostReply.Value"/>, a <see cref="HostReply.Conflict"/>, or an error.</summary>
    public Task<HostReply> MergeAsync(string entity, byte[]? ancestor, byte[] ours, byte[] theirs)
        => LiveProcess().Send(new HostRequest { Kind = HostRequest.Merge, Entity = entity, Value = ancestor, Ours = ours, Theirs = theirs }).Reply;

    private HostProcess LiveProcess()
    {
        lock (_gate)
        {
            if (_retired) throw new HostFailure("the model was replaced as the run started");
            if (_current is null || _current.HasExited)
            {
                _current = HostProcess.Start(_sandbox);
                try { _current.Load(_scripts); }
                catch (ModelException e) { throw new HostFailure("the model host could not be started again: " + e.Message); }
            }
            return _current;
        }
    }

    /// <summary>The next model version is live: runs in flight finish, then the host goes (its stdin closed, it exits).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _retired = true;
            _current?.CloseInput();
        }
    }

    /// <summary>One host process: its pipes, the requests it has not answered, and what it said on stderr.</summary>
    private sealed class HostProcess
    {
        private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(60);
        private readonly Process _process;
        private readonly ConcurrentDictionary<int, TaskCompletionSource<HostReply>> _pending = new();
        private readonly ConcurrentDictionary<int, Func<string, (byte[]? Value, string? Error)>> _followers = new();
        private readonly StringBuilder _stderr = new();
        private readonly object _writeLock = new();
        private int _nextId;

        private HostProcess(Process process)
        {
            _process = process;
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null) lock (_stderr) if (_stderr.Length < 64 * 1024) _stderr.AppendLine(e.Data);
            };
            process.BeginErrorReadLine();
            Task.Factory.StartNew(ReadReplies, TaskCreationOptions.LongRunning);
        }

        public bool HasExited => _process.HasExited;

        public static HostProcess Start(Sandbox sandbox)
        {
            var engineDirectory = AppContext.BaseDirectory.TrimEnd('/');
            var program = Path.Combine(engineDirectory, "clive-engine");
            if (!File.Exists(program)) throw new CliveException($"cannot start the model host: {program} is missing (reinstall clive)");
            var readable = new List<string> { engineDirectory };
            var environment = new Dictionary<string, string>();
            // The runtime, when it is not under /usr (dotnet-install.sh into a home directory, say).
            var runtime = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "../../.."));
            if (!runtime.StartsWith("/usr/", StringComparison.Ordinal))
            {
                readable.Add(runtime);
                environment["DOTNET_ROOT"] = runtime;
            }
            var command = sandbox.Wrap([program, "model-host"], new SandboxSpec([], false, "/tmp", environment, readable));
            var info = new ProcessStartInfo(command[0])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
            return new HostProcess(Process.Start(info) ?? throw new CliveException("could not start the model host"));
        }

        /// <summary>Runs the scripts in the host; the cells and entities they declared, or a <see cref="ModelException"/> naming file and line.</summary>
        public HostReply Load(List<ScriptImage> scripts)
        {
            Task<HostReply> reply;
            try
            {
                (_, reply) = Send(new HostRequest { Kind = HostRequest.Load, Scripts = scripts });
            }
            catch (HostFailure e)
            {
                throw new ModelException(e.Message);
            }
            try
            {
                if (!reply.Wait(LoadTimeout))
                {
                    Kill();
                    throw new ModelException($"the model did not load within {LoadTimeout.TotalSeconds:0} s");
                }
            }
            catch (AggregateException e) when (e.InnerException is HostFailure failure)
            {
                throw new ModelException(failure.Message);
            }
            return reply.Result.Error is { } error ? throw new ModelException(error) : reply.Result;
        }

        public (int Id, Task<HostReply> Reply) Send(HostRequest request, Func<string, (byte[]? Value, string? Error)>? follow = null)
        {
            var reply = new TaskCompletionSource<HostReply>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_writeLock)
            {
                request.Id = ++_nextId;
                _pending[request.Id] = reply;
                if (follow is not null) _followers[request.Id] = follow;
                try
                {
                    HostChannel.Write(_process.StandardInput.BaseStream, request);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
                {
                    _pending.TryRemove(request.Id, out _);
                    _followers.TryRemove(request.Id, out _);
                    throw new HostFailure($"the model host stopped taking requests ({e.Message}){StderrTail()}");
                }
            }
            return (request.Id, reply.Task);
        }

        public void TrySend(HostRequest request)
        {
            lock (_writeLock)
            {
                try { if (!_process.HasExited) HostChannel.Write(_process.StandardInput.BaseStream, request); }
                catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
            }
        }

        public void CloseInput()
        {
            lock (_writeLock)
            {
                try { _process.StandardInput.Close(); }
                catch (IOException) { }
            }
        }

        public void Kill()
        {
            try { _process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }

        private void ReadReplies()
        {
            string? problem = null;
            try
            {
                while (HostChannel.Read<HostReply>(_process.StandardOutput.BaseStream) is { } reply)
                {
                    if (reply.Follow is { } entity)
                    {
                        Answer(reply.Id, reply.FollowId, entity);
                        continue;
                    }
                    _followers.TryRemove(reply.Id, out _);
                    if (_pending.TryRemove(reply.Id, out var waiting)) waiting.TrySetResult(reply);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or MessagePack.MessagePackSerializationException)
            {
                // What a host sends is model code's to shape: a bad frame ends this host, not the engine.
                problem = e.Message;
                Kill();
            }
            _process.WaitForExit();
            var failure = new HostFailure($"the model host exited (code {_process.ExitCode}){(problem is null ? "" : ": " + problem)}{StderrTail()}");
            foreach (var id in _pending.Keys.ToList())
                if (_pending.TryRemove(id, out var waiting)) waiting.TrySetException(failure);
        }

        /// <summary>A running cell follows an entity: the engine reads it (off this reader thread) and sends the value back.</summary>
        private void Answer(int run, int followId, string entity)
        {
            if (!_followers.TryGetValue(run, out var follow)) return;
            Task.Run(() =>
            {
                (byte[]? Value, string? Error) answer;
                try { answer = follow(entity); }
                catch (Exception e) when (ErrorPolicy.IsUsersProblem(e)) { answer = (null, e.Message); }
                TrySend(new HostRequest { Kind = HostRequest.Followed, Id = run, FollowId = followId, Value = answer.Value, Error = answer.Error });
            });
        }

        private string StderrTail()
        {
            string text;
            lock (_stderr) text = _stderr.ToString().Trim();
            return text.Length == 0 ? "" : "\n" + (text.Length > 2000 ? text[^2000..] : text);
        }
    }
}

/// <summary>The model host failed, not the cell's function: the run is no result and is not cached.</summary>
public sealed class HostFailure(string message) : CliveException(message);
