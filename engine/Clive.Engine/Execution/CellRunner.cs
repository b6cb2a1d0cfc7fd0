using System.Diagnostics;
using System.Text;
using Clive.Engine.Graph;
using Clive.Engine.Results;
using Clive.Git;
using Clive.Model;
using Clive.Packs;

namespace Clive.Engine.Execution;

/// <summary>What one run of a cell produced, before it is stored.</summary>
public sealed record RunOutcome(bool Succeeded, int? ExitCode, ObjectId? Output, byte[]? Value, byte[] Stdout, byte[] Stderr,
    TimeSpan Duration, NewObjectsPack Objects);

/// <summary>A cell to run: its definition, inputs, and the values of the cells it reads.</summary>
public sealed record RunRequest(CellDefinition Cell, string KeyText, InputLayout Layout, IReadOnlyDictionary<string, byte[]?> Values);

/// <summary>
/// Runs command and compute cells. A command runs in a fresh directory holding exactly its inputs
/// (the cell's directory is its working directory); its output is what it leaves in $CLIVE_OUT and
/// the files its output globs match. A compute cell runs its function here, on the same inputs.
/// </summary>
public sealed class CellRunner(EngineStore store, string workRoot)
{
    /// <summary>When set, a run's output is also copied here as it happens (clive run).</summary>
    public TextWriter? Echo { get; init; }

    /// <summary>Called once a command has started, with its process group, for the status (and for a later engine to clean up).</summary>
    public Action<ProcessGroup>? Started { get; init; }

    public async Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var pack = new NewObjectsPack();
        if (request.Cell.Compute is { } compute) return await Task.Run(() => RunCompute(request, compute, pack, clock, cancel), cancel).ConfigureAwait(false);
        var work = Path.Combine(workRoot, Sanitize(request.Cell.Name) + "-" + request.KeyText[..12] + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            return await RunCommandAsync(request, request.Cell.Command!, work, pack, clock, cancel).ConfigureAwait(false);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("CLIVE_KEEP_WORK") != "1") TryDelete(work);
        }
    }

    private async Task<RunOutcome> RunCommandAsync(RunRequest request, CommandCell command, string work, NewObjectsPack pack, Stopwatch clock, CancellationToken cancel)
    {
        var tree = Path.Combine(work, "tree");
        var output = Path.Combine(work, "out");
        Directory.CreateDirectory(tree);
        Directory.CreateDirectory(output);
        request.Layout.Materialize(store, tree);
        var directory = Path.Combine(tree, request.Cell.Declaration.Directory);
        Directory.CreateDirectory(directory);
        var environment = new Dictionary<string, string>(command.Environment)
        {
            [CellEnvironment.OutputDirectory] = output,
            [CellEnvironment.CellName] = request.Cell.Name,
        };
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var group = ProcessGroup.Start(command.CommandLine, command.UsesShell, directory, environment, stdout, stderr, Echo);
        Started?.Invoke(group);
        int exitCode;
        using var timeout = command.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
        try
        {
            exitCode = await group.WaitAsync(linked.Token, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            var message = Encoding.UTF8.GetBytes($"clive: cell {request.Cell.Name} timed out after {command.Timeout!.Value.TotalSeconds:0.#} s\n");
            stderr.Write(message);
            return new RunOutcome(false, null, null, null, stdout.ToArray(), stderr.ToArray(), clock.Elapsed, pack);
        }
        ObjectId? outputTree = null;
        if (exitCode == 0)
        {
            var files = new OutputTree(store, pack);
            files.AddDirectory(output);
            if (command.Outputs.Count > 0) files.AddDirectory(directory, command.Outputs);
            outputTree = files.Build();
        }
        return new RunOutcome(exitCode == 0, exitCode, outputTree, null, stdout.ToArray(), stderr.ToArray(), clock.Elapsed, pack);
    }

    private RunOutcome RunCompute(RunRequest request, ComputeCell compute, NewObjectsPack pack, Stopwatch clock, CancellationToken cancel)
    {
        var context = new ComputeContext(store, request, cancel);
        try
        {
            var value = compute.Function(context);
            var encoded = value is null ? null : ValueCodec.Encode(value, request.Cell.Name);
            var files = new OutputTree(store, pack);
            foreach (var (path, content) in context.Written) files.Add(path, TreeEntry.RegularFile, content);
            return new RunOutcome(true, null, files.Build(), encoded, Encoding.UTF8.GetBytes(context.LogText), [], clock.Elapsed, pack);
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // A user's function failing is the cell failing, shown in its log, never the engine's crash.
            var message = e is CellFailure ? e.Message : $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}";
            return new RunOutcome(false, null, null, null, Encoding.UTF8.GetBytes(context.LogText), Encoding.UTF8.GetBytes(message + "\n"), clock.Elapsed, pack);
        }
    }

    private static string Sanitize(string name) => name.Replace('/', '_');

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>A compute cell's view of its inputs, by their path in the cell's directory.</summary>
internal sealed class ComputeContext(EngineStore store, RunRequest request, CancellationToken cancel) : CellContext
{
    private readonly StringWriter _log = new();
    private readonly string _prefix = request.Cell.Declaration.Directory.Length == 0 ? "" : request.Cell.Declaration.Directory + "/";

    public Dictionary<string, byte[]> Written { get; } = new(StringComparer.Ordinal);

    public string LogText => _log.ToString();

    public override IReadOnlyList<string> Files => request.Layout.Files
        .Where(f => f.Path.StartsWith(_prefix, StringComparison.Ordinal)).Select(f => f.Path[_prefix.Length..]).ToList();

    public override byte[] Read(string path)
    {
        if (!request.Layout.TryGet(_prefix + Clive.Model.ModelPaths.Normalize(path), out var file))
            throw new CellFailure($"cell {request.Cell.Name}: '{path}' is not one of its inputs");
        return store.Use(s => s.Store.Objects.Read(file.Id, ObjectType.Blob));
    }

    public override T? Value<T>(string cell) where T : default
    {
        var name = Clive.Model.ModelPaths.Resolve(request.Cell.Declaration.Directory, cell);
        if (!request.Values.TryGetValue(name, out var bytes)) throw new CellFailure($"cell {request.Cell.Name}: '{cell}' is not one of its inputs (add .From(\"{cell}\"))");
        return bytes is null ? default : ValueCodec.Decode<T>(bytes);
    }

    public override void Write(string path, byte[] content) => Written[Clive.Model.ModelPaths.Normalize(path)] = content;

    public override TextWriter Log => _log;

    public override CancellationToken Cancellation => cancel;
}
