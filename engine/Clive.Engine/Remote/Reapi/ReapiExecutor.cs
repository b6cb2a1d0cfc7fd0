using System.Diagnostics;
using System.Text;
using Build.Bazel.Remote.Execution.V2;
using Clive.Engine.Execution;
using Clive.Engine.Inputs;
using Clive.Git;
using Clive.Packs;
using Clive.Reapi;
using Grpc.Core;

namespace Clive.Engine.Remote.Reapi;

/// <summary>Where a cell's farm run came from: the action cache, or an execution.</summary>
internal enum ReapiSource { CacheHit, Executed }

/// <summary>
/// The executor seam's farm half: runs a command cell as a REAPI action and returns its outcome
/// exactly as <see cref="CellRunner"/> would (same output tree rules, stdout, stderr, exit code), so
/// the same result writer stores it. The action cache is asked first; only blobs the CAS lacks are
/// sent. A farm that is unreachable or fails mid-run is retried <see cref="Attempts"/> times; then
/// the caller runs the cell here.
/// </summary>
internal sealed class ReapiExecutor(EngineStore store, ReapiSettings settings) : IDisposable
{
    public const int Attempts = 3;
    private readonly ReapiClient _client = new(settings.Endpoint);
    private readonly InputRootBuilder _roots = new(id => store.Use(s => s.Store.Objects.Read(id, ObjectType.Blob)));
    private readonly SemaphoreSlim _farmJobs = new(Math.Max(1, settings.Jobs));

    public ReapiSettings Settings => settings;

    /// <summary>Whether this cell goes to the farm: a command without network, and with labels the farm was given (or any, when it was given none).</summary>
    public bool Concerns(Graph.CellDefinition cell)
    {
        if (cell.Kind != Clive.Model.CellKind.Command || cell.Command!.UsesNetwork) return false;
        if (settings.Labels.Count == 0) return true;
        return cell.Command.Placement.Count > 0 && cell.Command.Placement.All(settings.Labels.Contains);
    }

    public async Task<(RunOutcome Outcome, ReapiSource Source)> RunAsync(RunRequest request, Action<string> log, CancellationToken cancel)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await _farmJobs.WaitAsync(cancel).ConfigureAwait(false);
                try
                {
                    return await RunOnceAsync(request, cancel).ConfigureAwait(false);
                }
                finally
                {
                    _farmJobs.Release();
                }
            }
            catch (ReapiException e) when (e.Transient && attempt < Attempts && !cancel.IsCancellationRequested)
            {
                log($"{e.Message}; attempt {attempt + 1} of {Attempts}");
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), cancel).ConfigureAwait(false);
            }
        }
    }

    private async Task<(RunOutcome, ReapiSource)> RunOnceAsync(RunRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var built = await Task.Run(() => ReapiAction.Build(request, _roots), cancel).ConfigureAwait(false);
        var actionId = built.Action.Hash;
        if (await _client.GetActionResultAsync(built.Action, cancel).ConfigureAwait(false) is { } cached)
            return (await OutcomeAsync(request, cached, actionId, clock, cancel).ConfigureAwait(false), ReapiSource.CacheHit);
        await UploadMissingAsync(built, actionId, cancel).ConfigureAwait(false);
        var response = await _client.ExecuteAsync(built.Action, cancel).ConfigureAwait(false);
        if (response.Status is { Code: not 0 } status)
        {
            if ((StatusCode)status.Code == StatusCode.DeadlineExceeded && request.Cell.Command!.Timeout is { } limit)
            {
                var message = Encoding.UTF8.GetBytes($"clive: cell {request.Cell.Name} timed out after {limit.TotalSeconds:0.#} s (on {settings.Endpoint.Name})\n");
                return (new RunOutcome(false, null, null, null, [], message, clock.Elapsed, new NewObjectsPack()), ReapiSource.Executed);
            }
            throw new ReapiException($"REAPI {settings.Endpoint.Name}: Execute: {(StatusCode)status.Code} ({Printable.Of(status.Message, 300)})", (StatusCode)status.Code);
        }
        if (response.Result is not { } result) throw new ReapiException($"REAPI {settings.Endpoint.Name}: Execute returned no result", StatusCode.Internal);
        return (await OutcomeAsync(request, result, actionId, clock, cancel).ConfigureAwait(false), response.CachedResult ? ReapiSource.CacheHit : ReapiSource.Executed);
    }

    private async Task UploadMissingAsync(ReapiAction.Built built, string actionId, CancellationToken cancel)
    {
        var extra = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [Digests.Key(built.Message.CommandDigest)] = Google.Protobuf.MessageExtensions.ToByteArray(built.Command),
            [Digests.Key(built.Action)] = Google.Protobuf.MessageExtensions.ToByteArray(built.Message),
        };
        var all = built.Root.Blobs.Values.Select(b => b.Digest).Concat([built.Message.CommandDigest, built.Action]).ToList();
        var missing = await _client.FindMissingAsync(all, actionId, cancel).ConfigureAwait(false);
        await _client.UploadAsync(missing, digest =>
        {
            var key = Digests.Key(digest);
            if (extra.TryGetValue(key, out var bytes)) return bytes;
            if (!built.Root.Blobs.TryGetValue(key, out var blob)) throw new ReapiException($"REAPI {settings.Endpoint.Name}: asked for a blob this action does not have ({key})");
            return blob.Bytes ?? store.Use(s => s.Store.Objects.Read(blob.GitBlob!.Value, ObjectType.Blob));
        }, actionId, cancel).ConfigureAwait(false);
    }

    /// <summary>The action result as a local run's outcome: outputs only when the command succeeded, as <see cref="CellRunner"/> collects them.</summary>
    private async Task<RunOutcome> OutcomeAsync(RunRequest request, ActionResult result, string actionId, Stopwatch clock, CancellationToken cancel)
    {
        var stdout = result.StdoutRaw.Length > 0 || !Digests.IsValid(result.StdoutDigest) ? result.StdoutRaw.ToByteArray() : await _client.ReadAsync(result.StdoutDigest, actionId, cancel).ConfigureAwait(false);
        var stderr = result.StderrRaw.Length > 0 || !Digests.IsValid(result.StderrDigest) ? result.StderrRaw.ToByteArray() : await _client.ReadAsync(result.StderrDigest, actionId, cancel).ConfigureAwait(false);
        var pack = new NewObjectsPack();
        ObjectId? output = null;
        if (result.ExitCode == 0)
        {
            var files = new OutputTree(store, pack);
            var command = request.Cell.Command!;
            foreach (var directory in result.OutputDirectories.OrderBy(d => d.Path == ReapiAction.OutputDirectory ? 0 : 1))
            {
                var globs = directory.Path switch
                {
                    ReapiAction.OutputDirectory => null,
                    ReapiAction.AfterDirectory when command.Outputs.Count > 0 => command.Outputs.Select(g => Glob.Of(g.TrimStart('/'))).ToList(),
                    _ => throw new ReapiException($"REAPI {settings.Endpoint.Name}: an output directory the action did not declare ('{Printable.Of(directory.Path, 80)}')"),
                };
                var tree = Tree.Parser.ParseFrom(await _client.ReadAsync(directory.TreeDigest, actionId, cancel).ConfigureAwait(false));
                await AddTreeAsync(files, tree, globs, actionId, cancel).ConfigureAwait(false);
            }
            output = files.Build();
        }
        return new RunOutcome(result.ExitCode == 0, result.ExitCode, output, null, stdout, stderr, clock.Elapsed, pack);
    }

    /// <summary>Adds the files of an output tree (those a glob matches, when globs are given). Names come from the farm: checked as a model's paths are.</summary>
    private async Task AddTreeAsync(OutputTree files, Tree tree, IReadOnlyList<Glob>? globs, string actionId, CancellationToken cancel)
    {
        var children = tree.Children.ToDictionary(c => Digests.Key(Digests.Of(c)), StringComparer.Ordinal);
        var pending = new Stack<(string Prefix, Build.Bazel.Remote.Execution.V2.Directory Directory, int Depth)>();
        pending.Push(("", tree.Root, 0));
        while (pending.Count > 0)
        {
            var (prefix, directory, depth) = pending.Pop();
            if (depth > 256) throw new ReapiException($"REAPI {settings.Endpoint.Name}: an output tree deeper than 256 directories");
            foreach (var file in directory.Files)
            {
                var path = PathOf(prefix, file.Name);
                if (globs is not null && !globs.Any(g => g.Matches(path))) continue;
                var content = file.Digest.SizeBytes <= 0 ? [] : await _client.ReadAsync(file.Digest, actionId, cancel).ConfigureAwait(false);
                files.Add(path, file.IsExecutable ? TreeEntry.ExecutableFile : TreeEntry.RegularFile, content);
            }
            foreach (var link in directory.Symlinks)
            {
                var path = PathOf(prefix, link.Name);
                if (globs is null || globs.Any(g => g.Matches(path))) files.Add(path, TreeEntry.Symlink, Encoding.UTF8.GetBytes(link.Target));
            }
            foreach (var sub in directory.Directories)
            {
                if (!children.TryGetValue(Digests.Key(sub.Digest), out var child))
                    throw new ReapiException($"REAPI {settings.Endpoint.Name}: an output tree without its directory '{Printable.Of(sub.Name, 80)}'");
                pending.Push((PathOf(prefix, sub.Name), child, depth + 1));
            }
        }
    }

    private string PathOf(string prefix, string name)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or ".." || name.Any(c => c == '\0'))
            throw new ReapiException($"REAPI {settings.Endpoint.Name}: an output named '{Printable.Of(name, 80)}'");
        return prefix.Length == 0 ? name : prefix + "/" + name;
    }

    public void Dispose()
    {
        _client.Dispose();
        _farmJobs.Dispose();
    }
}

/// <summary>
/// A farm for this engine's command cells: where (<see cref="Endpoint"/>), which cells (those whose
/// <c>.On</c> labels are all in <see cref="Labels"/>; every command cell without network when it is
/// empty) and how many actions at once (<see cref="Jobs"/>).
/// </summary>
public sealed record ReapiSettings(ReapiEndpoint Endpoint, IReadOnlyList<string> Labels, int Jobs);
