using Clive.Core.Store.Entities;
using Clive.Core.Values;
using Clive.Git;
using Clive.Store.Refs;
using Clive.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Clive.Tests.Entities;

/// <summary>Entities as refs of a real store file: versions, compare-and-swap, log, declared types, divergence.</summary>
public sealed class EntityStoreTests : IDisposable
{
    internal const string CounterSchema = """
        {"root": {"kind":"named","name":"Demo.Counter"},
         "types": {"Demo.Counter": {"kind":"object","members":[{"name":"Count","type":{"kind":"int","bits":32},"nullable":false}]}}}
        """;

    private static readonly CommitIdentity Ada = new("Ada Author <ada@example.com>", "Ada Author <ada@example.com>");
    private readonly GitSandbox _sandbox = new();

    public EntityStoreTests() => _sandbox.Clive("repo", "create", "demo").EnsureSuccess("clive repo create");

    public void Dispose() => _sandbox.Dispose();

    private static byte[] Counter(int count) => ValueJson.ToMessagePack($$"""{"Count": {{count}}}""", CounterSchema);

    [Fact]
    public void WrittenVersion_ReadsBack_AsACommitGitCanRead()
    {
        ObjectId version;
        using (var store = _sandbox.OpenStore())
            version = store.Entities.Write("demo", "shop/counter", Counter(3), ObjectId.Zero, Ada, new EntityMessage("start counting"));

        using (var store = _sandbox.OpenStore())
        {
            var read = store.Entities.Read("demo", "shop/counter")!;
            Assert.Equal(version, read.Commit);
            Assert.Equal("{\n  \"Count\": 3\n}\n", read.Json);
            Assert.Equal("Ada Author <ada@example.com>", read.Author);
            Assert.Equal("start counting", read.Message.Summary);
            Assert.Equal([new EntityHead("shop/counter", version)], store.Entities.List("demo"));
        }
        // The version is an ordinary commit: git fetches it and reads its value.json.
        _sandbox.GitOk(".", "clone", "-q", GitSandbox.Url("demo"), "copy");
        _sandbox.GitOk("copy", "fetch", "-q", "origin", "refs/clive/entities/shop/counter:refs/entity");
        Assert.Equal("{\n  \"Count\": 3\n}\n", _sandbox.GitOk("copy", "show", "refs/entity:value.json").Stdout);
        Assert.Equal("value.json\nvalue.msgpack\n", _sandbox.GitOk("copy", "ls-tree", "--name-only", "refs/entity").Stdout);
    }

    [Fact]
    public void StaleExpectedVersion_IsRefused_AndWritesNothing()
    {
        using var store = _sandbox.OpenStore();
        var first = store.Entities.Write("demo", "counter", Counter(1), ObjectId.Zero, Ada, new EntityMessage("one"));
        var second = store.Entities.Write("demo", "counter", Counter(2), first, Ada, new EntityMessage("two"));
        var before = _sandbox.StoreSnapshot();

        var error = Assert.Throws<EntityChangedException>(() =>
            store.Entities.Write("demo", "counter", Counter(9), first, Ada, new EntityMessage("from a stale read")));
        Assert.Equal(second, error.Actual);
        Assert.Throws<EntityChangedException>(() => store.Entities.Write("demo", "counter", Counter(9), ObjectId.Zero, Ada, new EntityMessage("as if new")));
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void Log_IsNewestFirst_WithTheCellsTrailers()
    {
        using var store = _sandbox.OpenStore();
        var first = store.Entities.Write("demo", "counter", Counter(1), ObjectId.Zero, Ada, new EntityMessage("by hand"));
        var engine = new CommitIdentity("clive-engine <clive-engine@localhost>", "clive-engine <clive-engine@localhost>");
        store.Entities.Write("demo", "counter", Counter(2), first, engine, new EntityMessage("count\nagain", "demo@main:count", "ab12"));

        var log = store.Entities.Log("demo", "counter").ToList();
        Assert.Equal(["count again", "by hand"], log.Select(v => v.Message.Summary));
        Assert.Equal(("demo@main:count", "ab12"), (log[0].Message.Cell, log[0].Message.Key));
        Assert.Null(log[1].Message.Cell);
        Assert.Equal("clive-engine <clive-engine@localhost>", log[0].Author);
        Assert.Equal([first], log[0].Parents);
    }

    [Theory]
    [InlineData("../escape", "a component starts with '.'")]
    [InlineData("a/../../b", "a component starts with '.'")]
    [InlineData("a//b", "empty component")]
    [InlineData("/abs", "empty component")]
    [InlineData("x.lock", "ends with '.lock'")]
    [InlineData("new\nline", "only letters")]
    [InlineData("sp ace", "only letters")]
    [InlineData("caf\u00e9", "only letters")]
    [InlineData("", "it is empty")]
    public void HostileNames_AreRefused_BeforeAnythingIsWritten(string name, string why)
    {
        using var store = _sandbox.OpenStore();
        var before = _sandbox.StoreSnapshot();
        var error = Assert.Throws<InvalidEntityNameException>(() => store.Entities.Write("demo", name, Counter(1), ObjectId.Zero, Ada, new EntityMessage("x")));
        Assert.Contains(why, error.Message);
        Assert.DoesNotContain("\n", error.Message);
        Assert.Throws<InvalidEntityNameException>(() => store.Entities.Read("demo", name));
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void OverlongName_IsRefused() =>
        Assert.Throws<InvalidEntityNameException>(() => EntityName.Check(new string('a', EntityName.MaxLength + 1)));

    [Fact]
    public void ValueThatIsNotOne_IsRefused_AndWritesNothing()
    {
        using var store = _sandbox.OpenStore();
        var before = _sandbox.StoreSnapshot();
        Assert.Throws<ValueFormatException>(() => store.Entities.Write("demo", "counter", [0x92, 0x01], ObjectId.Zero, Ada, new EntityMessage("truncated")));
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void DeclaredType_IsKept_AndABadSchemaIsRefused()
    {
        using (var store = _sandbox.OpenStore())
        {
            store.EntityTypes.Declare("demo", "counter", CounterSchema, hasMerge: true, "main@0123abcd");
            Assert.Throws<ValueFormatException>(() => store.EntityTypes.Declare("demo", "other", """{"root":{"kind":"nope"}}""", false, "main@x"));
            Assert.Throws<InvalidEntityNameException>(() => store.EntityTypes.Declare("demo", "../up", CounterSchema, false, "main@x"));
        }
        using (var store = _sandbox.OpenStore())
        {
            var declared = store.EntityTypes.Find("demo", "counter")!;
            Assert.Equal((CounterSchema, true, "main@0123abcd"), (declared.SchemaJson, declared.HasMerge, declared.DeclaredBy));
            Assert.Null(store.EntityTypes.Find("demo", "other"));
            Assert.Single(store.EntityTypes.List("demo"));
        }
    }

    [Fact]
    public void StoreOfSchema6_IsMigrated_KeepingItsRefs()
    {
        using (var store = _sandbox.OpenStore())
            store.Entities.Write("demo", "counter", Counter(1), ObjectId.Zero, Ada, new EntityMessage("one"));
        var before = _sandbox.StoreSnapshot();
        // Make it what clive 6 left: no entity_types table, no followed entities per cached result, no host trust, reachability bitmaps or mount attributes, user_version 6.
        using (var raw = new SqliteConnection($"Data Source={Path.Combine(_sandbox.StoreDirectory, "store.db")};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "DROP TABLE entity_types; ALTER TABLE cell_results DROP COLUMN followed; DROP TABLE host_trust; DROP TABLE reach_bitmaps; DROP TABLE mount_attributes; PRAGMA user_version=6;";
            command.ExecuteNonQuery();
        }
        using (var store = _sandbox.OpenStore())
        {
            store.EntityTypes.Declare("demo", "counter", CounterSchema, false, "main@1");
            Assert.NotNull(store.EntityTypes.Find("demo", "counter"));
        }
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void IncomingVersion_Merged_HasBothParents_AndTheIncomingRefGoes()
    {
        using var store = _sandbox.OpenStore();
        var (ours, theirs) = Diverge(store);
        var merged = store.Entities.ResolveIncoming("demo", "counter", ours, theirs, Counter(5), Ada, new EntityMessage("merge"))!.Value;

        var version = store.Entities.Read("demo", "counter")!;
        Assert.Equal((merged, "{\n  \"Count\": 5\n}\n"), (version.Commit, version.Json));
        Assert.Equal([ours, theirs], version.Parents);
        Assert.Empty(store.Entities.Incoming("demo"));
        Assert.Empty(store.Entities.Conflicts("demo"));
        Assert.Equal(3 + 1, store.Entities.Log("demo", "counter").Count());
    }

    [Fact]
    public void IncomingVersion_WithoutMerge_IsKeptAsAConflict()
    {
        using var store = _sandbox.OpenStore();
        var (ours, theirs) = Diverge(store);
        Assert.Equal([new EntityDivergence("counter", ours, theirs)], store.Entities.Incoming("demo"));
        Assert.Null(store.Entities.ResolveIncoming("demo", "counter", ours, theirs, null, Ada, new EntityMessage("no merge")));

        Assert.Equal(ours, store.Entities.Read("demo", "counter")!.Commit);
        Assert.Equal([new EntityDivergence("counter", ours, theirs)], store.Entities.Conflicts("demo"));
        Assert.Equal(theirs, store.Entities.Conflict("demo", "counter"));
        Assert.Empty(store.Entities.Incoming("demo"));
    }

    [Fact]
    public void MergeAgainstAMovedEntity_IsRefused_AndKeepsTheIncomingVersion()
    {
        using var store = _sandbox.OpenStore();
        var (ours, theirs) = Diverge(store);
        store.Entities.Write("demo", "counter", Counter(7), ours, Ada, new EntityMessage("meanwhile"));
        Assert.Throws<EntityChangedException>(() => store.Entities.ResolveIncoming("demo", "counter", ours, theirs, Counter(5), Ada, new EntityMessage("merge")));
        Assert.Equal([theirs], store.Entities.Incoming("demo").Select(d => d.Theirs));
    }

    /// <summary>A maintaining cell's versions of several entities: one stale compare-and-swap and none is written.</summary>
    [Fact]
    public void WriteAll_IsAllOrNone()
    {
        using var store = _sandbox.OpenStore();
        var a = store.Entities.Write("demo", "a", Counter(1), ObjectId.Zero, Ada, new EntityMessage("a"));
        var b = store.Entities.Write("demo", "b", Counter(10), ObjectId.Zero, Ada, new EntityMessage("b"));
        var movedB = store.Entities.Write("demo", "b", Counter(20), b, Ada, new EntityMessage("another writer"));
        var before = _sandbox.StoreSnapshot();

        var lost = Assert.Throws<EntityChangedException>(() => store.Entities.WriteAll("demo",
            [new EntityChange("a", Counter(2), a, new EntityMessage("cell")), new EntityChange("b", Counter(200), b, new EntityMessage("cell")),
             new EntityChange("c", Counter(3), ObjectId.Zero, new EntityMessage("cell"))], Ada, "clive-engine"));
        Assert.Contains("'b'", lost.Message);
        Assert.Equal(movedB, lost.Actual);
        Assert.Equal(before, _sandbox.StoreSnapshot());

        store.Entities.WriteAll("demo", [new EntityChange("a", Counter(2), a, new EntityMessage("cell")),
            new EntityChange("b", Counter(200), movedB, new EntityMessage("cell"))], Ada, "clive-engine");
        Assert.Equal(("{\n  \"Count\": 2\n}\n", "{\n  \"Count\": 200\n}\n"), (store.Entities.Read("demo", "a")!.Json, store.Entities.Read("demo", "b")!.Json));
        Assert.Null(store.Entities.Read("demo", "c"));
    }

    [Fact]
    public void DeletedRepo_TakesItsEntities_AndTheirTypes_ARepoOfTheSameNameStartsBare()
    {
        using (var store = _sandbox.OpenStore())
        {
            store.EntityTypes.Declare("demo", "counter", CounterSchema, hasMerge: true, "main@1");
            store.Entities.Write("demo", "counter", Counter(1), ObjectId.Zero, Ada, new EntityMessage("one"));
        }
        _sandbox.Clive("repo", "delete", "demo").EnsureSuccess("clive repo delete");
        _sandbox.Clive("repo", "create", "demo").EnsureSuccess("clive repo create");

        using (var store = _sandbox.OpenStore())
        {
            Assert.Empty(store.EntityTypes.List("demo"));
            Assert.Empty(store.Entities.List("demo"));
        }
        File.WriteAllText(_sandbox.PathOf("value.json"), "{\"Count\": 2}");
        var set = _sandbox.Clive("entity", "set", "demo", "counter", "value.json");
        Assert.Contains("fatal: no model of repository 'demo' declares entity 'counter'", set.Stderr);
    }

    /// <summary>gc keeps every object an entity's refs need: versions and their history, and the versions kept aside (incoming, conflict, rejected).</summary>
    [Fact]
    public void Gc_KeepsWhatEntityRefsNeed_AndCollectsWhatNoRefNeeds()
    {
        ObjectId firstVersion, incoming, conflict, rejected, dropped;
        using (var store = _sandbox.OpenStore())
        {
            (_, incoming) = Diverge(store);
            firstVersion = store.Entities.Log("demo", "counter").Last().Commit;
            var other = store.Entities.Write("demo", "other", Counter(1), ObjectId.Zero, Ada, new EntityMessage("one"));
            conflict = store.Entities.Write("demo", "other", Counter(2), other, Ada, new EntityMessage("theirs"));
            using (var transaction = store.BeginRefTransaction("test", "diverge"))
            {
                transaction.Update("demo", [new RefUpdate(EntityName.RefOf("other"), conflict, other)], atomic: true);
                transaction.Commit();
            }
            store.Entities.KeepAsConflict("demo", "other", conflict, "test");
            rejected = store.Entities.KeepRejected("demo", "other", "{\"Count\": \"lots\"}"u8.ToArray(), other, Ada, "not a count");
            dropped = store.Entities.Write("demo", "dropped", Counter(9), ObjectId.Zero, Ada, new EntityMessage("soon gone"));
            using (var transaction = store.BeginRefTransaction("test", "drop"))
            {
                transaction.Update("demo", [new RefUpdate(EntityName.RefOf("dropped"), dropped, ObjectId.Zero)], atomic: true);
                transaction.Commit();
            }
        }

        _sandbox.Clive("gc").EnsureSuccess("clive gc");

        using (var store = _sandbox.OpenStore())
        {
            Assert.False(store.Objects.Contains(dropped));
            Assert.Equal(firstVersion, store.Entities.Log("demo", "counter").Last().Commit);
            Assert.Equal("{\n  \"Count\": 3\n}\n", store.Entities.ReadVersion("counter", incoming).Json);
            Assert.Equal("{\n  \"Count\": 2\n}\n", store.Entities.ReadVersion("other", conflict).Json);
            var keptTree = store.Objects.ReadCommit(rejected).Tree;
            var keptBlob = TreeParser.Entries(store.Objects.Read(keptTree, ObjectType.Tree)).Single().Id;
            Assert.Equal("{\"Count\": \"lots\"}"u8.ToArray(), store.Objects.Read(keptBlob, ObjectType.Blob));
        }
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    /// <summary>Versions 1 → 2 (ours, the entity) and 1 → 3 (theirs, at the incoming ref), as a push from another store leaves them.</summary>
    private static (ObjectId Ours, ObjectId Theirs) Diverge(Clive.Store.CliveStore store)
    {
        var first = store.Entities.Write("demo", "counter", Counter(1), ObjectId.Zero, Ada, new EntityMessage("one"));
        var theirs = store.Entities.Write("demo", "counter", Counter(3), first, Ada, new EntityMessage("theirs"));
        using (var transaction = store.BeginRefTransaction("test", "diverge"))
        {
            transaction.Update("demo", [new RefUpdate(EntityName.RefOf("counter"), theirs, first),
                new RefUpdate(EntityName.IncomingPrefix + "counter", ObjectId.Zero, theirs)], atomic: true);
            transaction.Commit();
        }
        var ours = store.Entities.Write("demo", "counter", Counter(2), first, Ada, new EntityMessage("ours"));
        return (ours, theirs);
    }
}
