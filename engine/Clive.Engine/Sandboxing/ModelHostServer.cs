using System.Collections.Concurrent;
using System.Text;
using Clive.Engine.Graph;
using Clive.Engine.Results;
using Clive.Engine.Scripting;
using Clive.Engine.Values;
using Clive.Model;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// The model host: the only process that runs a model's code. The engine starts one per model
/// version inside the sandbox (`clive-engine model-host`), sends it the compiled scripts, and
/// asks it to run compute cells over inputs it sends along. The host sees no store, no files of
/// the engine and no network; all it can touch is what arrives on its stdin.
/// </summary>
public static class ModelHostServer
{
    public static int Run(Stream input, Stream output)
    {
        var writeLock = new object();
        var functions = new Dictionary<string, ComputeCell>(StringComparer.Ordinal);
        var entities = new Dictionary<string, Entity>(StringComparer.Ordinal);
        var follows = new ConcurrentDictionary<(int Run, int Follow), TaskCompletionSource<HostRequest>>();
        var instances = new List<ModelInstance>();
        var running = new ConcurrentDictionary<int, CancellationTokenSource>();
        var runs = new List<Task>();
        void Reply(HostReply reply)
        {
            lock (writeLock) HostChannel.Write(output, reply);
        }

        while (HostChannel.Read<HostRequest>(input) is { } request)
        {
            switch (request.Kind)
            {
                case HostRequest.Load:
                    Reply(Load(request, instances, functions, entities));
                    break;
                case HostRequest.Compute:
                    var cancel = new CancellationTokenSource();
                    running[request.Id] = cancel;
                    runs.Add(Task.Run(() =>
                    {
                        var engine = new EngineQuestions(request.Id, Reply, follows, cancel.Token);
                        try { Reply(Compute(request, functions, engine, cancel.Token)); }
                        finally { running.TryRemove(request.Id, out _); }
                    }));
                    break;
                case HostRequest.Cancel:
                    if (running.TryGetValue(request.Id, out var run)) run.Cancel();
                    break;
                case HostRequest.Followed:
                    if (follows.TryRemove((request.Id, request.FollowId), out var waiting)) waiting.TrySetResult(request);
                    break;
                case HostRequest.Merge:
                    runs.Add(Task.Run(() => Reply(EntityMerger.Merge(request, entities))));
                    break;
            }
        }
        // The engine closed the pipe: it wants nothing more. Finish what runs, then go.
        Task.WaitAll(runs.ToArray(), TimeSpan.FromSeconds(5));
        return 0;
    }

    private static HostReply Load(HostRequest request, List<ModelInstance> instances, Dictionary<string, ComputeCell> functions,
        Dictionary<string, Entity> entities)
    {
        var cells = new List<CellMessage>();
        var declared = new List<DeclaredEntity>();
        var engines = new List<DeclaredEngine>();
        var errors = new List<string>();
        foreach (var script in request.Scripts ?? [])
        {
            try
            {
                var instance = ModelInstance.Run(script.Assembly, script.Path, TimeSpan.FromSeconds(30));
                instances.Add(instance);
                foreach (var cell in instance.Cells)
                {
                    var message = CellDeclarations.Describe(cell);
                    message.Script = script.Path;
                    cells.Add(message);
                    if (cell is ComputeCell compute) functions[compute.Name] = compute;
                }
                foreach (var entity in instance.Entities)
                {
                    declared.Add(EntityMerger.Describe(entity));
                    entities[entity.Name] = entity;
                }
                foreach (var engine in instance.Engines)
                    engines.Add(new DeclaredEngine { Destination = engine.Destination, Labels = engine.Labels.ToList(), Repo = engine.Repo, Jobs = engine.Jobs,
                        DeclaredIn = engine.DeclaredIn, Line = engine.Line });
            }
            catch (ModelException e)
            {
                errors.Add(e.Message);
            }
        }
        return new HostReply { Id = request.Id, Cells = cells, Entities = declared, Engines = engines, Error = errors.Count > 0 ? string.Join('\n', errors) : null };
    }

    private static HostReply Compute(HostRequest request, Dictionary<string, ComputeCell> functions, EngineQuestions engine, CancellationToken cancel)
    {
        var name = request.Cell ?? "";
        if (!functions.TryGetValue(name, out var cell)) return new HostReply { Id = request.Id, Error = $"no compute cell '{name}' in this model" };
        var context = new HostedCellContext(cell, request.Files ?? [], request.Values ?? [], cancel,
            new HostedEntities(cell, request.Entities ?? [], engine.Follow));
        // References to cells of the model made while it runs (cell.Ref()) name the running cell's repo and branch.
        using var home = LiveReferences.RunningAs(request.Home ?? "");
        try
        {
            var value = cell.Function(context);
            return new HostReply
            {
                Id = request.Id,
                Value = value is null ? null : Encode(value, name),
                Written = context.Written,
                Sets = context.Entities.Sets,
                Log = context.LogText,
            };
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new HostReply { Id = request.Id, Cancelled = true };
        }
        catch (Exception e)
        {
            // A user's function failing is the cell failing, shown in its log.
            var message = e is CellFailure ? e.Message : $"{e.GetType().Name}: {e.Message}\n{e.StackTrace}";
            return new HostReply { Id = request.Id, Error = message, Log = context.LogText };
        }
    }

    private static byte[] Encode(object value, string cell)
    {
        try
        {
            return ValueWriter.Write(value, value.GetType());
        }
        catch (ValueException e)
        {
            throw new CellFailure($"cell {cell}: its value cannot be stored: {e.Message}");
        }
    }
}

/// <summary>A compute cell's view of its inputs, by their path in the cell's directory: the files and values the engine sent.</summary>
internal sealed class HostedCellContext(Cell cell, Dictionary<string, byte[]> files, Dictionary<string, byte[]?> values, CancellationToken cancel,
    HostedEntities? entities = null) : CellContext
{
    /// <summary>Its entities; without an engine to ask (a test running a function directly), it reads and follows none.</summary>
    public HostedEntities Entities { get; } = entities
        ?? new HostedEntities(cell, [], name => throw new CellFailure($"cell {cell.Name}: entity '{name}' cannot be followed here"));

    private readonly StringWriter _log = new();
    private readonly string _prefix = cell.Directory.Length == 0 ? "" : cell.Directory + "/";

    public Dictionary<string, byte[]> Written { get; } = new(StringComparer.Ordinal);

    public string LogText => _log.ToString();

    public override IReadOnlyList<string> Files => files.Keys
        .Where(path => path.StartsWith(_prefix, StringComparison.Ordinal)).Select(path => path[_prefix.Length..]).Order(StringComparer.Ordinal).ToList();

    public override byte[] Read(string path)
        => files.TryGetValue(_prefix + ModelPaths.Normalize(path), out var content)
            ? content
            : throw new CellFailure($"cell {cell.Name}: '{path}' is not one of its inputs");

    public override T? Value<T>(string other) where T : default
    {
        var name = ModelPaths.Resolve(cell.Directory, other);
        if (!values.TryGetValue(name, out var bytes)) throw new CellFailure($"cell {cell.Name}: '{other}' is not one of its inputs (add .From(\"{other}\"))");
        if (bytes is null) return default;
        try
        {
            return (T?)ValueReader.Read(bytes, typeof(T));
        }
        catch (ValueException e)
        {
            throw new CellFailure($"cell {cell.Name}: the value of '{other}' does not load as {TypeNames.Display(typeof(T))}: {e.Message}");
        }
    }

    public override T? Entity<T>(Entity<T> entity) where T : default => Entities.Read(entity);

    public override T Follow<T>(EntityRef<T> reference) => Entities.Follow(reference);

    public override T Follow<T>(CellRef<T> reference) => Entities.Follow(reference);

    public override RefSnapshot Follow(GitRef reference, string glob = "**") => Entities.Follow(reference, glob);

    public override void Set<T>(Entity<T> entity, T value) => Entities.Set(entity, value);

    public override void Write(string path, byte[] content) => Written[ModelPaths.Normalize(path)] = content;

    public override TextWriter Log => _log;

    public override CancellationToken Cancellation => cancel;
}
