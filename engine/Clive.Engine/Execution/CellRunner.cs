using System.Diagnostics;
using System.Text;
using Clive.Engine.Graph;
using Clive.Engine.Results;
using Clive.Engine.Sandboxing;
using Clive.Git;
using Clive.Model;
using Clive.Packs;

namespace Clive.Engine.Execution;

/// <summary>What one run of a cell produced, before it is stored.</summary>
public sealed record RunOutcome(bool Succeeded, int? ExitCode, ObjectId? Output, byte[]? Value, byte[] Stdout, byte[] Stderr,
    TimeSpan Duration, NewObjectsPack Objects);

/// <summary>A cell to run: its definition, inputs, and the values of the cells it reads.</summary>
public sealed record RunRequest(CellDefinition Cell, string KeyText, InputLayout Layout, IReadOnlyDictionary<string, byte[]?> Values, ModelHost? Host);

/// <summary>
/// Runs command and compute cells. A command runs in a fresh directory holding exactly its inputs
/// (the cell's directory is its working directory); its output is what it leaves in $CLIVE_OUT and
/// the files its output globs match. A compute cell runs its function here, on the same inputs.
/// </summary>
public sealed class CellRunner(EngineStore store, string workRoot, Sandbox sandbox)
{
    /// <summary>When set, a run's output is also copied here as it happens (clive run).</summary>
    public TextWriter? Echo { get; init; }

    /// <summary>Called once a command has started, with its process group, for the status (and for a later engine to clean up).</summary>
    public Action<ProcessGroup>? Started { get; init; }

    public async Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var pack = new NewObjectsPack();
        if (request.Cell.Kind == CellKind.Compute) return await RunComputeAsync(request, pack, clock, cancel).ConfigureAwait(false);
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
            [CellEnvironment.OutputDirectory] = Sandbox.OutputInside,
            [CellEnvironment.CellName] = request.Cell.Name,
        };
        var sandboxed = sandbox.Wrap(ProcessGroup.CommandOf(command.CommandLine, command.UsesShell),
            new SandboxSpec([new SandboxBind(tree, Sandbox.TreeInside), new SandboxBind(output, Sandbox.OutputInside)], command.UsesNetwork,
                InsideTree(request.Cell.Declaration.Directory), environment));
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var group = ProcessGroup.Start(sandboxed, directory, stdout, stderr, Echo);
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

    /// <summary>A compute cell runs in its model's host, never here: the engine sends its inputs and stores what comes back.</summary>
    private async Task<RunOutcome> RunComputeAsync(RunRequest request, NewObjectsPack pack, Stopwatch clock, CancellationToken cancel)
    {
        var host = request.Host ?? throw new HostFailure($"cell {request.Cell.Name}: its model has no host");
        var files = store.Use(s => request.Layout.Files.ToDictionary(f => f.Path, f => s.Store.Objects.Read(f.Id, ObjectType.Blob), StringComparer.Ordinal));
        var values = new Dictionary<string, byte[]?>(request.Values, StringComparer.Ordinal);
        var reply = await host.ComputeAsync(request.Cell.Name, files, values, cancel).ConfigureAwait(false);
        if (reply.Cancelled) throw new OperationCanceledException(cancel);
        var log = Encoding.UTF8.GetBytes(reply.Log ?? "");
        if (reply.Error is { } error)
            return new RunOutcome(false, null, null, null, log, Encoding.UTF8.GetBytes(error + "\n"), clock.Elapsed, pack);
        var output = new OutputTree(store, pack);
        foreach (var (path, content) in reply.Written ?? [])
        {
            // The paths come from model code: only plain relative paths make it into a tree.
            try { output.Add(Clive.Model.ModelPaths.Normalize(path), TreeEntry.RegularFile, content); }
            catch (ArgumentException e) { return new RunOutcome(false, null, null, null, log, Encoding.UTF8.GetBytes($"cell {request.Cell.Name}: {e.Message}\n"), clock.Elapsed, pack); }
        }
        return new RunOutcome(true, null, output.Build(), reply.Value, log, [], clock.Elapsed, pack);
    }

    /// <summary>A directory of the cell's tree as the sandboxed command sees it.</summary>
    public static string InsideTree(string directory) => directory.Length == 0 ? Sandbox.TreeInside : Sandbox.TreeInside + "/" + directory;

    private static string Sanitize(string name) => name.Replace('/', '_');

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
