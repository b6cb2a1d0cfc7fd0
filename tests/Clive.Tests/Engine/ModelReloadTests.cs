using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Clive.Engine.Inputs;
using Clive.Engine.Sandboxing;
using Clive.Engine.Scripting;
using Clive.Engine.Values;
using Clive.Git;
using Clive.Model;
using Clive.Store;
using Xunit;
using Xunit.Abstractions;

namespace Clive.Tests.Engine;

/// <summary>
/// Reloading a model that declares its own value types, 200 times in one process, as a model host
/// does each version: compile, load into a collectible context, run a compute cell returning a
/// record graph, store and read the value, describe its type; then drop it. Every old context must
/// unload (nothing of the serializer holds the model's types) and memory must stay flat. Ten
/// sources are compiled, each loaded twenty times: every load is a new context with its own types
/// (what pinning would keep), and the suite does not pay for 200 compilations.
/// </summary>
public sealed class ModelReloadTests(ITestOutputHelper output) : IDisposable
{
    private const int Versions = 200;
    private const int Sources = 10;
    private readonly string _directory = Directory.CreateTempSubdirectory("clive-reload-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Model(int version) => $$"""
        // version {{version}}
        public enum Status { Open, Shipped }
        public record Address(string City, string? Street);
        public record Line(string Sku, int Quantity);
        public record Order(string Id, Status Status, Address Ship, Address Bill, List<Line> Lines, Dictionary<string, int> Stock, string? Note);
        var orders = Cells.Compute("orders", ctx =>
        {
            var home = new Address("Lyon", null);
            return new List<Order> { new("o-{{version}}", Status.Shipped, home, home, [new Line("a", {{version}}), new Line("b", 1)], new() { ["a"] = 1 }, null) };
        });
        Cells.Compute("total", ctx => ctx.Value<List<Order>>("orders")!.Sum(o => o.Lines.Sum(l => l.Quantity))).From(orders);
        """;

    [Fact]
    public void ReloadingAModelWithItsOwnValueTypes_UnloadsEveryOldVersion_AndMemoryStaysFlat()
    {
        using var store = CliveStore.Open(Path.Combine(_directory, "store"));
        var roots = StoreModels(store);
        var images = new Dictionary<int, byte[]>();
        var compiler = new ScriptCompiler(Path.Combine(_directory, "models"));
        var trees = new TreeReader(store);
        var unloaded = new List<WeakReference>();
        long afterTwenty = 0;
        var clock = Stopwatch.StartNew();
        for (var version = 0; version < Versions; version++)
        {
            var source = version % Sources;
            if (!images.TryGetValue(source, out var image))
            {
                var sources = ScriptSources.Read(trees, roots[source], "/clive.csx", (path, blob) => ScriptSources.Parse(path, store.Objects.Read(blob, ObjectType.Blob)));
                images[source] = image = compiler.Compile(sources, out _)!;
            }
            unloaded.Add(LoadRunAndDrop(image, source));
            if (version == 19)
            {
                WaitUntilUnloaded(unloaded);
                afterTwenty = GC.GetTotalMemory(forceFullCollection: true);
            }
        }
        WaitUntilUnloaded(unloaded);
        var afterAll = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"{Versions} reloads in {clock.Elapsed.TotalSeconds:0.0} s; managed heap after 20: {afterTwenty / 1024} KiB, after {Versions}: {afterAll / 1024} KiB");
        // A pinned version keeps its types, delegates, cells and reflection caches: 180 of them would show.
        Assert.True(afterAll - afterTwenty < 4 << 20, $"the heap grew by {(afterAll - afterTwenty) / 1024} KiB over {Versions - 20} reloads");
    }

    /// <summary>One model version, as the host runs it; returns a weak reference to its load context, holding nothing else.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference LoadRunAndDrop(byte[] assembly, int version)
    {
        using var instance = ModelInstance.Run(assembly, "/clive.csx", TimeSpan.FromSeconds(30));
        var cells = instance.Cells.OfType<ComputeCell>().ToDictionary(c => c.Name);
        var value = cells["orders"].Function(new HostedCellContext(cells["orders"], [], [], CancellationToken.None))!;
        var type = value.GetType();
        var bytes = ValueWriter.Write(value, type);
        Assert.Equal(bytes, ValueWriter.Write(ValueReader.Read(bytes, type), type));
        Assert.Contains("\"Status\": \"Shipped\"", Clive.Core.Values.ValueJson.FromMessagePack(bytes));
        // A script's types are nested in its submission class, which the schema leaves out of their names.
        using var schema = System.Text.Json.JsonDocument.Parse(ValueSchemas.Of(type));
        Assert.Equal(["Address", "Line", "Order", "Status"], schema.RootElement.GetProperty("types").EnumerateObject().Select(t => t.Name));
        var total = cells["total"].Function(new HostedCellContext(cells["total"], [], new() { ["orders"] = bytes }, CancellationToken.None));
        Assert.Equal(version + 1, total);
        // The script's own assembly (the value's type is List<Order>, whose assembly is the runtime's).
        var context = AssemblyLoadContext.GetLoadContext(cells["orders"].Function.Method.DeclaringType!.Assembly)!;
        Assert.True(context.IsCollectible);
        return new WeakReference(context);
    }

    private static void WaitUntilUnloaded(List<WeakReference> contexts)
    {
        var deadline = Stopwatch.StartNew();
        while (contexts.Any(c => c.IsAlive))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                throw new Xunit.Sdk.XunitException($"{contexts.Count(c => c.IsAlive)} of {contexts.Count} model load contexts are still loaded after 30 s of collections");
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>Every version's tree (a clive.csx each) in the store, as pushes would leave them.</summary>
    private static List<ObjectId> StoreModels(CliveStore store)
    {
        var pack = new Clive.Packs.NewObjectsPack();
        var roots = Enumerable.Range(0, Sources).Select(version =>
        {
            var script = pack.Add(ObjectType.Blob, System.Text.Encoding.UTF8.GetBytes(Model(version)));
            return pack.Add(ObjectType.Tree, Fixtures.CraftedPack.Tree(("100644", ModelLoader.ScriptName, script)));
        }).ToList();
        using var transaction = store.BeginWrite();
        pack.InsertInto(store.Objects);
        transaction.Commit();
        return roots;
    }
}
