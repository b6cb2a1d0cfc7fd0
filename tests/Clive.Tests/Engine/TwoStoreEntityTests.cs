using Clive.Store;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// One entity changed in two stores, each with its own `clive up` on the same model, its versions
/// carried between them with plain git through clive::local: with a merge function both stores end
/// at the merged version; without one, each keeps its own and the other's beside it, and says so.
/// </summary>
public sealed class TwoStoreEntityTests : IDisposable
{
    private const string Model = """
        var counts = Cells.Entity<Dictionary<string, int>>("counts").Merge((ancestor, ours, theirs) =>
            MergeResult<Dictionary<string, int>>.Merged(ours.Keys.Union(theirs.Keys).ToDictionary(k => k,
                k => ours.GetValueOrDefault(k) + theirs.GetValueOrDefault(k) - (ancestor?.GetValueOrDefault(k) ?? 0))));
        var label = Cells.Entity<string>("label");
        Cells.Compute("total", ctx => ctx.Entity(counts)?.Values.Sum() ?? 0).Reads(counts);
        """;

    private readonly GitSandbox _a = new();
    private readonly GitSandbox _b = new();

    public TwoStoreEntityTests()
    {
        _a.NewRepo("work", ("clive.csx", Model));
        _a.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        Git(_a, _b, "push", "-q", GitSandbox.Url("demo"), "main");
        _b.GitOk("", "init", "-q", "work");
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    [Fact]
    public void BothStoresChangeOneEntity_AndAfterPushingBothWaysBothSeeTheMergedVersion_OrBothVersionsWithoutAMergeFunction()
    {
        using var engineA = new EngineProcess(_a);
        using var engineB = new EngineProcess(_b);
        // The types are declared once each engine has loaded the model.
        engineA.WaitForCells("demo", Clive.Store.Cells.CellState.Succeeded, "total");
        engineB.WaitForCells("demo", Clive.Store.Cells.CellState.Succeeded, "total");

        Set(_a, "counts", """{"apples": 1}""");
        Set(_a, "label", "\"first\"");
        Carry(_a, _b, "counts");
        Carry(_a, _b, "label");

        // Apart: two more apples in A, five pears in B; two different labels.
        Set(_a, "counts", """{"apples": 3}""");
        Set(_b, "counts", """{"apples": 1, "pears": 5}""");
        Set(_a, "label", "\"from a\"");
        Set(_b, "label", "\"from b\"");

        // A's versions to B: B's engine merges the counts; the labels stay apart.
        Carry(_a, _b, "counts");
        Carry(_a, _b, "label");
        engineB.WaitForLog("demo: entity 'counts': merged");
        engineB.Wait(() => Value(_b, "total", cell: true) == "8", "B's total to read the merged counts");
        // B's versions to A: the merge is a fast-forward there; the label is kept apart there too.
        Carry(_b, _a, "counts");
        Carry(_b, _a, "label");
        engineA.Wait(() => Value(_a, "total", cell: true) == "8", "A's total to read the merged counts");

        Assert.Equal(Version(_a, "refs/clive/entities/counts"), Version(_b, "refs/clive/entities/counts"));
        Assert.Equal(2, Git(_b, _b, "log", "-1", "--format=%P", "refs/carry/counts").Stdout.Trim().Split(' ').Length);
        Assert.Contains("\"pears\": 5", Value(_a, "counts"));
        Assert.Contains("\"apples\": 3", Value(_a, "counts"));

        // Without a merge function each store keeps its own label, the other's beside it, and says so.
        Assert.Equal("\"from a\"", Value(_a, "label"));
        Assert.Equal("\"from b\"", Value(_b, "label"));
        Assert.Equal(Version(_b, "refs/clive/entities/label"), Version(_a, "refs/clive/conflicts/entities/label"));
        Assert.Equal(Version(_a, "refs/clive/entities/label"), Version(_b, "refs/clive/conflicts/entities/label"));
        foreach (var store in new[] { _a, _b })
            Assert.Contains("entity 'label' of demo is in conflict", store.Clive("status").Stdout);
    }

    private static void Set(GitSandbox store, string entity, string json)
    {
        var file = store.PathOf(entity + ".json");
        File.WriteAllText(file, json);
        store.Clive("entity", "set", "demo", entity, file).EnsureSuccess($"clive entity set {entity}");
    }

    /// <summary>Fetches an entity's version from one store and pushes it to the other, as anyone with both remotes would (forced: a diverged version is kept, not refused).</summary>
    private static void Carry(GitSandbox from, GitSandbox to, string entity)
    {
        Git(from, from, "fetch", "-q", "-f", GitSandbox.Url("demo"), $"refs/clive/entities/{entity}:refs/carry/{entity}");
        Git(from, to, "push", "-q", GitSandbox.Url("demo"), $"+refs/carry/{entity}:refs/clive/entities/{entity}");
    }

    /// <summary>git in <paramref name="work"/>'s working repository, with clive::local meaning <paramref name="store"/>'s store.</summary>
    private static ProcessResult Git(GitSandbox work, GitSandbox store, params string[] args)
        => ProcessRunner.Run("git", args, work.PathOf("work"),
            new Dictionary<string, string>(work.Environment) { [StoreLocation.EnvironmentVariable] = store.StoreDirectory })
            .EnsureSuccess("git " + string.Join(' ', args));

    private static string Version(GitSandbox store, string refName)
    {
        using var opened = store.OpenStore();
        return opened.Refs.Get(opened.Repos.GetId("demo"), refName)?.ToString() ?? "";
    }

    private static string Value(GitSandbox store, string name, bool cell = false)
    {
        if (!cell) return store.Clive("entity", "get", "demo", name).EnsureSuccess("clive entity get").Stdout.Trim();
        var version = Version(store, "refs/clive/cells/main/" + name);
        if (version == "") return "";
        Git(store, store, "fetch", "-q", "-f", GitSandbox.Url("demo"), $"refs/clive/cells/main/{name}:refs/carry/cells/{name}");
        return Git(store, store, "show", $"refs/carry/cells/{name}:value.json").Stdout.Trim();
    }
}
