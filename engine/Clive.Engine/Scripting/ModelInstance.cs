using System.Reflection;
using System.Runtime.Loader;
using Clive.Engine.Graph;
using Clive.Model;

namespace Clive.Engine.Scripting;

/// <summary>
/// One version of a model, loaded into its own collectible context: when the next version is
/// live this one is unloaded, so an engine that reloads on every save does not grow without bound.
/// </summary>
public sealed class ModelInstance : IDisposable
{
    private readonly AssemblyLoadContext _context;

    private ModelInstance(AssemblyLoadContext context, IReadOnlyList<Cell> cells, IReadOnlyList<Entity> entities, IReadOnlyList<EngineDeclaration> engines)
    {
        _context = context;
        Cells = cells;
        Entities = entities;
        Engines = engines;
    }

    public IReadOnlyList<Cell> Cells { get; }

    public IReadOnlyList<Entity> Entities { get; }

    /// <summary>The engines on other hosts it declares (<c>Engines.On</c>).</summary>
    public IReadOnlyList<EngineDeclaration> Engines { get; }

    /// <summary>Loads a compiled script and runs it, collecting the cells and entities it declares.</summary>
    public static ModelInstance Run(byte[] assembly, string scriptPath, TimeSpan timeout)
    {
        var context = new AssemblyLoadContext("clive-model " + scriptPath, isCollectible: true);
        try
        {
            var loaded = context.LoadFromStream(new MemoryStream(assembly));
            var factory = loaded.GetTypes()
                .Select(t => t.GetMethod("<Factory>", BindingFlags.Public | BindingFlags.Static))
                .FirstOrDefault(m => m is not null) ?? throw new ModelException($"{scriptPath}: the compiled script has no entry point");
            using var collector = ModelCollector.Begin();
            Task<object> run;
            try
            {
                // Slot 0 holds the globals (none), slot 1 this submission.
                run = (Task<object>)factory.Invoke(null, [new object?[2]])!;
                if (!run.Wait(timeout)) throw new ModelException($"{scriptPath}: the script did not finish within {timeout.TotalSeconds:0} s");
            }
            catch (Exception e) when (Unwrap(e) is var inner && inner is not ModelException)
            {
                throw new ModelException($"{scriptPath}: the script failed: {inner.GetType().Name}: {inner.Message}{Where(inner)}");
            }
            return new ModelInstance(context, collector.Cells.ToList(), collector.Entities.ToList(), collector.Engines.ToList());
        }
        catch
        {
            context.Unload();
            throw;
        }
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException or AggregateException && e.InnerException is not null) e = e.InnerException!;
        return e;
    }

    /// <summary>The script line an exception came from, when the stack says.</summary>
    private static string Where(Exception e)
    {
        var frame = new System.Diagnostics.StackTrace(e, true).GetFrames().FirstOrDefault(f => f.GetFileName()?.EndsWith(".csx", StringComparison.Ordinal) == true);
        return frame is null ? "" : $" (at {frame.GetFileName()}({frame.GetFileLineNumber()}))";
    }

    public void Dispose() => _context.Unload();
}
