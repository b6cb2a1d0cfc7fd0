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
    TimeSpan Duration, NewObjectsPack Objects)
{
    /// <summary>A compute cell's new versions of the entities it maintains, by name.</summary>
    public IReadOnlyDictionary<string, byte[]> Sets { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>The entities it followed while it ran, and their versions.</summary>
    public IReadOnlyList<Clive.Store.Cells.KeyField> Followed { get; init; } = [];
}

/// <summary>A cell to run: its definition, inputs, the values of the cells it reads, and the entities it reads, follows and maintains.</summary>
public sealed record RunRequest(CellDefinition Cell, string KeyText, InputLayout Layout, IReadOnlyDictionary<string, byte[]?> Values, ModelHost? Host,
    EntityRun Entities);

/// <summary>
/// Runs command and compute cells. A command runs in a directory holding exactly its inputs (the
/// cell's directory is its working directory) — a kept sandbox's, emptied between cells, or a fresh
/// one with a sandbox of its own; its output is what it leaves in $CLIVE_OUT and the files its output globs match. A compute cell runs its function here, on the same inputs.
/// </summary>
public sealed class CellRunner(EngineStore store, string workRoot, Sandbox sandbox)
{
    /// <summary>When set, a run's output is also copied here as it happens (clive run).</summary>
    public TextWriter? Echo { get; init; }

    /// <summary>Called once a command has started, with its process group's id and start time, for the status (and for a later engine to clean up).</summary>
    public Action<int, long>? Started { get; init; }

    /// <summary>Sandboxes kept for many cells; without them (or for a cell with network, or echoed output) each command gets a sandbox of its own.</summary>
    public SlotPool? Slots { get; init; }

    /// <summary>Whose cells these are (a repo's branch): a kept sandbox runs the cells of one domain only.</summary>
    public string TrustDomain { get; init; } = "";

    public async Task<RunOutcome> RunAsync(RunRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var pack = new NewObjectsPack();
        if (request.Cell.Kind == CellKind.Compute) return await RunComputeAsync(request, pack, clock, cancel).ConfigureAwait(false);
        var command = request.Cell.Command!;
        var environment = new Dictionary<string, string>(command.Environment)
        {
            [CellEnvironment.OutputDirectory] = Sandbox.OutputInside,
            [CellEnvironment.CellName] = request.Cell.Name,
        };
        var inside = InsideTree(request.Cell.Declaration.Directory);
        if (Slots is not null && Echo is null && !command.UsesNetwork
            && SlotHelper.Request(inside, environment, command.CommandLine, command.UsesShell) is { } slotRequest
            && Slots.Rent(TrustDomain, cancel) is { } slot)
        {
            try
            {
                return RunInSlot(request, command, slot, slotRequest, pack, clock, cancel);
            }
            catch (SlotDiedException)
            {
                // The cell ended its slot (kill -9 -1, say): it runs again in a sandbox of its own, from scratch.
                pack = new NewObjectsPack();
            }
        }
        var work = Path.Combine(workRoot, Sanitize(request.Cell.Name) + "-" + request.KeyText[..12] + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        try
        {
            return await RunCommandAsync(request, command, environment, work, pack, clock, cancel).ConfigureAwait(false);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("CLIVE_KEEP_WORK") != "1") TryDelete(work);
        }
    }

    /// <summary>Runs a command in a kept sandbox: its inputs written into the slot's tree, the slot emptied for the next cell afterwards.</summary>
    private RunOutcome RunInSlot(RunRequest request, CommandCell command, SandboxSlot slot, byte[] slotRequest, NewObjectsPack pack,
        Stopwatch clock, CancellationToken cancel)
    {
        bool reusable = false;
        try
        {
            request.Layout.Materialize(store, slot.Tree);
            var directory = Path.Combine(slot.Tree, request.Cell.Declaration.Directory);
            Directory.CreateDirectory(directory);
            var materialized = clock.Elapsed;
            Started?.Invoke(slot.Pid, slot.StartTime);
            using var timeout = command.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
            SlotRun run;
            try
            {
                run = slot.Run(slotRequest, linked.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                return TimedOut(request, command, [], [], clock, pack);
            }
            var ran = clock.Elapsed;
            var outcome = Collect(command, run.ExitCode, slot.Output, directory, run.Stdout, run.Stderr, clock, pack);
            reusable = true;
            Clive.Trace.Write($"cell {request.Cell.Name}: inputs written {materialized.TotalMilliseconds:0.0} ms, command {(ran - materialized).TotalMilliseconds:0.0} ms, "
                + $"output hashed {(clock.Elapsed - ran).TotalMilliseconds:0.0} ms (in a kept sandbox)");
            return outcome;
        }
        finally
        {
            if (reusable) Slots!.Return(slot);
            else slot.Dispose();
        }
    }

    private async Task<RunOutcome> RunCommandAsync(RunRequest request, CommandCell command, Dictionary<string, string> environment, string work,
        NewObjectsPack pack, Stopwatch clock, CancellationToken cancel)
    {
        var tree = Path.Combine(work, "tree");
        var output = Path.Combine(work, "out");
        Directory.CreateDirectory(tree);
        Directory.CreateDirectory(output);
        request.Layout.Materialize(store, tree);
        var directory = Path.Combine(tree, request.Cell.Declaration.Directory);
        Directory.CreateDirectory(directory);
        var sandboxed = sandbox.Wrap(ProcessGroup.CommandOf(command.CommandLine, command.UsesShell),
            new SandboxSpec([new SandboxBind(tree, Sandbox.TreeInside), new SandboxBind(output, Sandbox.OutputInside)], command.UsesNetwork,
                InsideTree(request.Cell.Declaration.Directory), environment));
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var group = ProcessGroup.Start(sandboxed, directory, stdout, stderr, Echo);
        Started?.Invoke(group.Pid, group.StartTime);
        int exitCode;
        using var timeout = command.Timeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
        try
        {
            exitCode = await group.WaitAsync(linked.Token, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            return TimedOut(request, command, stdout.ToArray(), stderr.ToArray(), clock, pack);
        }
        return Collect(command, exitCode, output, directory, stdout.ToArray(), stderr.ToArray(), clock, pack);
    }

    private static RunOutcome TimedOut(RunRequest request, CommandCell command, byte[] stdout, byte[] stderr, Stopwatch clock, NewObjectsPack pack)
    {
        var message = Encoding.UTF8.GetBytes($"clive: cell {request.Cell.Name} timed out after {command.Timeout!.Value.TotalSeconds:0.#} s\n");
        return new RunOutcome(false, null, null, null, stdout, [.. stderr, .. message], clock.Elapsed, pack);
    }

    /// <summary>The run's output tree (what it left in $CLIVE_OUT and the files its output globs match), when it succeeded.</summary>
    private RunOutcome Collect(CommandCell command, int exitCode, string output, string directory, byte[] stdout, byte[] stderr, Stopwatch clock,
        NewObjectsPack pack)
    {
        ObjectId? outputTree = null;
        if (exitCode == 0)
        {
            var files = new OutputTree(store, pack);
            files.AddDirectory(output);
            if (command.Outputs.Count > 0) files.AddDirectory(directory, command.Outputs);
            outputTree = files.Build();
        }
        return new RunOutcome(exitCode == 0, exitCode, outputTree, null, stdout, stderr, clock.Elapsed, pack);
    }

    /// <summary>A compute cell runs in its model's host, never here: the engine sends its inputs and stores what comes back.</summary>
    private async Task<RunOutcome> RunComputeAsync(RunRequest request, NewObjectsPack pack, Stopwatch clock, CancellationToken cancel)
    {
        var host = request.Host ?? throw new HostFailure($"cell {request.Cell.Name}: its model has no host");
        var files = store.Use(s => request.Layout.Files.ToDictionary(f => f.Path, f => s.Store.Objects.Read(f.Id, ObjectType.Blob), StringComparer.Ordinal));
        var values = new Dictionary<string, byte[]?>(request.Values, StringComparer.Ordinal);
        var reply = await host.ComputeAsync(request.Cell.Name, files, values, request.Entities.Reads, request.Entities.Follow, request.Entities.CellId, cancel).ConfigureAwait(false);
        if (reply.Cancelled) throw new OperationCanceledException(cancel);
        var log = Encoding.UTF8.GetBytes(reply.Log ?? "");
        if (reply.Error is { } error)
            return new RunOutcome(false, null, null, null, log, Encoding.UTF8.GetBytes(error + "\n"), clock.Elapsed, pack) { Followed = request.Entities.Followed };
        if (reply.Value is { } value && !IsValue(value))
            return new RunOutcome(false, null, null, null, log, Encoding.UTF8.GetBytes($"cell {request.Cell.Name}: the model host returned a value that is not a clive value\n"), clock.Elapsed, pack);
        var output = new OutputTree(store, pack);
        foreach (var (path, content) in reply.Written ?? [])
        {
            // The paths come from model code: only plain relative paths make it into a tree.
            try { output.Add(Clive.Model.ModelPaths.Normalize(path), TreeEntry.RegularFile, content); }
            catch (ArgumentException e) { return new RunOutcome(false, null, null, null, log, Encoding.UTF8.GetBytes($"cell {request.Cell.Name}: {e.Message}\n"), clock.Elapsed, pack); }
        }
        var sets = reply.Sets ?? [];
        // The host runs model code: it may set only what the cell declared it maintains.
        if (sets.Keys.FirstOrDefault(name => !request.Entities.Maintained.Contains(name)) is { } stray)
            return new RunOutcome(false, null, null, null, log, Encoding.UTF8.GetBytes($"cell {request.Cell.Name}: it does not maintain entity '{stray}'\n"), clock.Elapsed, pack);
        return new RunOutcome(true, null, output.Build(), reply.Value, log, [], clock.Elapsed, pack) { Sets = sets, Followed = request.Entities.Followed };
    }

    /// <summary>The host runs model code, so what it returns is checked before it is stored (and turned into value.json).</summary>
    private static bool IsValue(byte[] value)
    {
        try
        {
            Clive.Core.Values.ValueJson.FromMessagePack(value);
            return true;
        }
        catch (Clive.Core.Values.ValueFormatException)
        {
            return false;
        }
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
