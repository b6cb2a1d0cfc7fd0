using Clive.Core.Store.Entities;
using Clive.Core.Values;
using Clive.Git;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Entities;

/// <summary>Entities from another store, with real `git push`: a fast-forward moves the entity, a diverged version is kept beside it.</summary>
public sealed class EntityPushTests : IDisposable
{
    private static readonly CommitIdentity Ada = new("Ada Author <ada@example.com>", "Ada Author <ada@example.com>");
    private readonly GitSandbox _sandbox = new();
    private readonly ObjectId _first;

    public EntityPushTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        using (var store = _sandbox.OpenStore())
            _first = store.Entities.Write("demo", "counter", Counter(1), ObjectId.Zero, Ada, new EntityMessage("one"));
        // The other store's copy: it has the entity as it was then.
        _sandbox.GitOk(".", "clone", "-q", GitSandbox.Url("demo"), "other");
        _sandbox.GitOk("other", "fetch", "-q", "origin", "+refs/clive/entities/*:refs/clive/entities/*");
    }

    public void Dispose() => _sandbox.Dispose();

    private static byte[] Counter(int count) => ValueJson.ToMessagePack($$"""{"Count": {{count}}}""", EntityStoreTests.CounterSchema);

    /// <summary>A version made in the other copy with plain git: value.msgpack and value.json, parent the first version.</summary>
    private string TheirVersion(int count, string? withoutFile = null, byte[]? value = null)
    {
        value ??= Counter(count);
        var files = new Dictionary<string, byte[]>
        {
            ["value.msgpack"] = value,
            ["value.json"] = System.Text.Encoding.UTF8.GetBytes(ValueJson.FromMessagePack(value)),
        };
        if (withoutFile is not null) files.Remove(withoutFile);
        var lines = files.Select(f =>
        {
            File.WriteAllBytes(_sandbox.PathOf(f.Key), f.Value);
            return $"100644 blob {_sandbox.GitOk("other", "hash-object", "-w", _sandbox.PathOf(f.Key)).Stdout.Trim()}\t{f.Key}";
        });
        var tree = ProcessRunner.Run("git", ["mktree"], _sandbox.PathOf("other"), _sandbox.Environment,
            System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")).EnsureSuccess("git mktree").Stdout.Trim();
        return _sandbox.GitOk("other", "commit-tree", tree, "-p", _first.ToString(), "-m", "theirs").Stdout.Trim();
    }

    private ObjectId Ours()
    {
        using var store = _sandbox.OpenStore();
        return store.Entities.Write("demo", "counter", Counter(2), _first, Ada, new EntityMessage("ours"));
    }

    [Fact]
    public void FastForward_MovesTheEntity()
    {
        var theirs = TheirVersion(3);
        _sandbox.GitOk("other", "push", "-q", "origin", $"{theirs}:refs/clive/entities/counter");
        using var store = _sandbox.OpenStore();
        Assert.Equal(theirs, store.Entities.Read("demo", "counter")!.Commit.ToString());
        Assert.Empty(store.Entities.Conflicts("demo"));
    }

    [Fact]
    public void DivergedVersion_WithoutAMergeFunction_IsKeptAsAConflict_AndBothAreSeen()
    {
        var ours = Ours();
        var theirs = TheirVersion(3);
        // git sends a non-fast-forward only when forced; clive keeps it beside the entity even so.
        _sandbox.GitOk("other", "push", "-q", "origin", $"+{theirs}:refs/clive/entities/counter");

        using (var store = _sandbox.OpenStore())
        {
            Assert.Equal(ours, store.Entities.Read("demo", "counter")!.Commit);
            Assert.Equal([new EntityDivergence("counter", ours, ObjectId.Parse(theirs))], store.Entities.Conflicts("demo"));
            Assert.Empty(store.Entities.Incoming("demo"));
        }
        var get = _sandbox.Clive("entity", "get", "demo", "counter").EnsureSuccess("clive entity get");
        Assert.Equal("{\n  \"Count\": 2\n}\n", get.Stdout);
        Assert.Contains($"warning: entity 'counter' of demo is in conflict: another store's version {theirs[..12]}", get.Stderr);
        Assert.Contains("(its type has no merge function); merge them", get.Stderr);
        Assert.Contains($"entity 'counter' of demo is in conflict", _sandbox.Clive("status").Stdout);
        // Both versions travel back with git.
        _sandbox.GitOk("other", "fetch", "-q", "origin", "+refs/clive/*:refs/remotes/origin/clive/*");
        Assert.Equal(ours.ToString(), _sandbox.RevParse("other", "refs/remotes/origin/clive/entities/counter"));
        Assert.Equal(theirs, _sandbox.RevParse("other", "refs/remotes/origin/clive/conflicts/entities/counter"));
        Assert.Contains("\"Count\": 3", _sandbox.GitOk("other", "show", "refs/remotes/origin/clive/conflicts/entities/counter:value.json").Stdout);
    }

    [Fact]
    public void DivergedVersion_OfATypeWithAMergeFunction_WaitsForTheEngine()
    {
        using (var store = _sandbox.OpenStore())
            store.EntityTypes.Declare("demo", "counter", EntityStoreTests.CounterSchema, hasMerge: true, "main@1");
        var ours = Ours();
        var theirs = TheirVersion(3);
        _sandbox.GitOk("other", "push", "-q", "origin", $"+{theirs}:refs/clive/entities/counter");

        using var store2 = _sandbox.OpenStore();
        Assert.Equal(ours, store2.Entities.Read("demo", "counter")!.Commit);
        Assert.Equal([new EntityDivergence("counter", ours, ObjectId.Parse(theirs))], store2.Entities.Incoming("demo"));
        Assert.Empty(store2.Entities.Conflicts("demo"));
    }

    [Fact]
    public void OlderVersion_PushedBack_ChangesNothing()
    {
        var ours = Ours();
        _sandbox.GitOk("other", "push", "-q", "origin", $"+{_first}:refs/clive/entities/counter");
        using var store = _sandbox.OpenStore();
        Assert.Equal(ours, store.Entities.Read("demo", "counter")!.Commit);
        Assert.Empty(store.Entities.Conflicts("demo"));
    }

    [Theory]
    [InlineData("value.msgpack", "refs/clive/entities/counter", "not an entity version")]
    [InlineData(null, "refs/clive/entities/caf\u00e9", "invalid entity name")]
    public void HostileVersion_IsRefused_AndTheStoreIsUnchanged(string? withoutFile, string refName, string why)
    {
        var theirs = TheirVersion(3, withoutFile);
        var before = _sandbox.StoreSnapshot();
        var push = _sandbox.Git("other", "push", "origin", $"+{theirs}:{refName}");
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains(why, push.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void AVersionThatDoesNotFitTheDeclaredType_IsRefused_AndTheStoreIsUnchanged()
    {
        using (var store = _sandbox.OpenStore())
            store.EntityTypes.Declare("demo", "counter", EntityStoreTests.CounterSchema, hasMerge: false, "main@1");
        // {"Count": "three"}: a clive value, but Count is an int in the declared type.
        byte[] wrongKind = [0x81, 0xa5, .. "Count"u8, 0xa5, .. "three"u8];
        var theirs = TheirVersion(0, value: wrongKind);
        var before = _sandbox.StoreSnapshot();
        var push = _sandbox.Git("other", "push", "origin", $"{theirs}:refs/clive/entities/counter");
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("$.Count: expected a 32-bit integer, got \"three\"", push.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void ASecondUnrelatedDivergedVersion_IsRefused_AndTheFirstStaysKept()
    {
        var ours = Ours();
        var first = TheirVersion(3);
        _sandbox.GitOk("other", "push", "-q", "origin", $"+{first}:refs/clive/entities/counter");
        var second = TheirVersion(4);
        var push = _sandbox.Git("other", "push", "origin", $"+{second}:refs/clive/entities/counter");
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains($"already keeps another store's version {first[..12]}", push.Stderr);
        using var store = _sandbox.OpenStore();
        Assert.Equal([new EntityDivergence("counter", ours, ObjectId.Parse(first))], store.Entities.Conflicts("demo"));
    }

    [Fact]
    public void SettingAnEntityInConflict_MergesTheKeptVersion_AndTheConflictGoes()
    {
        using (var store = _sandbox.OpenStore())
            store.EntityTypes.Declare("demo", "counter", EntityStoreTests.CounterSchema, hasMerge: false, "main@1");
        var ours = Ours();
        var theirs = TheirVersion(3);
        _sandbox.GitOk("other", "push", "-q", "origin", $"+{theirs}:refs/clive/entities/counter");
        File.WriteAllText(_sandbox.PathOf("merged.json"), """{"Count": 5}""");
        _sandbox.Clive("entity", "set", "demo", "counter", "merged.json", "-m", "both").EnsureSuccess("set the merged value");

        using (var store = _sandbox.OpenStore())
        {
            var version = store.Entities.Read("demo", "counter")!;
            Assert.Equal([ours, ObjectId.Parse(theirs)], version.Parents);
            Assert.Empty(store.Entities.Conflicts("demo"));
        }
        Assert.DoesNotContain("conflict", _sandbox.Clive("entity", "get", "demo", "counter").Stderr);
        // The other store's version is now an ancestor: pushing it again changes nothing, and fetching the merge is a fast-forward there.
        _sandbox.GitOk("other", "push", "-q", "origin", $"+{theirs}:refs/clive/entities/counter");
        _sandbox.GitOk("other", "fetch", "-q", "origin", "refs/clive/entities/counter:refs/clive/entities/counter");
    }
}
