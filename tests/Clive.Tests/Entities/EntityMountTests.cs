using System.Diagnostics;
using Clive.Core.Store.Entities;
using Clive.Core.Values;
using Clive.Git;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Entities;

/// <summary>
/// .clive/entities/ in a real clive-fs mount: live JSON of each entity; a valid save is a version,
/// an invalid one is kept aside, whether written in place or by rename (vim, sed -i).
/// </summary>
public sealed class EntityMountTests : IDisposable
{
    private static readonly CommitIdentity Ada = new("Ada Author <ada@example.com>", "Ada Author <ada@example.com>");
    private readonly GitSandbox _sandbox = new();

    public EntityMountTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        using var store = _sandbox.OpenStore();
        store.EntityTypes.Declare("demo", "shop/counter", EntityStoreTests.CounterSchema, hasMerge: false, "main@1");
        store.Entities.Write("demo", "shop/counter", Counter(1), ObjectId.Zero, Ada, new EntityMessage("one"));
    }

    public void Dispose() => _sandbox.Dispose();

    private static byte[] Counter(int count) => ValueJson.ToMessagePack($$"""{"Count": {{count}}}""", EntityStoreTests.CounterSchema);

    private EntityVersion Current()
    {
        using var store = _sandbox.OpenStore();
        return store.Entities.Read("demo", "shop/counter")!;
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    [SkippableFact]
    public void EntityFile_ShowsTheValue_AndFollowsNewVersions()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo");
        var file = mount.PathOf(".clive/entities/shop/counter.json");
        Assert.Equal(["counter.json"], Directory.GetFiles(mount.PathOf(".clive/entities/shop")).Select(Path.GetFileName));
        Assert.Equal("{\n  \"Count\": 1\n}\n", File.ReadAllText(file));

        using (var store = _sandbox.OpenStore())
            store.Entities.Write("demo", "shop/counter", Counter(2), Current().Commit, Ada, new EntityMessage("two"));
        WaitFor(() => File.ReadAllText(file) == "{\n  \"Count\": 2\n}\n", "the mount to show the new version");
    }

    [SkippableFact]
    public void ValidSave_IsANewVersion_OnTheOneEdited()
    {
        var before = Current().Commit;
        using var mount = new FuseMountFixture(_sandbox, "demo");
        File.WriteAllText(mount.PathOf(".clive/entities/shop/counter.json"), "{\"Count\": 7}\n");

        var after = Current();
        Assert.Equal("{\n  \"Count\": 7\n}\n", after.Json);
        Assert.Equal([before], after.Parents);
        Assert.Equal("clive-fs save", after.Message.Summary);
    }

    public static TheoryData<byte[], string> InvalidSaves => new()
    {
        { "{\"Count\": \"lots\"}\n"u8.ToArray(), "$.Count: expected a 32-bit integer, got \"lots\"" },
        { [.. "{\"Count\": 1}"u8, 0xff, 0x00], "the file is not UTF-8 text" },
        { "{\"Count\": 1} trailing"u8.ToArray(), "$: not valid JSON" },
    };

    [SkippableTheory]
    [MemberData(nameof(InvalidSaves))]
    public void InvalidSave_IsKeptAside_EveryByte_AndExplained(byte[] bytes, string why)
    {
        var before = Current().Commit;
        using var mount = new FuseMountFixture(_sandbox, "demo");
        File.WriteAllBytes(mount.PathOf(".clive/entities/shop/counter.json"), bytes);

        Assert.Equal(before, Current().Commit);
        using (var store = _sandbox.OpenStore())
        {
            var kept = store.Refs.Get(store.Repos.GetId("demo"), EntityName.RejectedPrefix + "shop/counter")!.Value;
            var tree = store.Objects.ReadCommit(kept).Tree;
            var blob = Clive.Git.TreeParser.Entries(store.Objects.Read(tree, ObjectType.Tree)).Single().Id;
            Assert.Equal(bytes, store.Objects.Read(blob, ObjectType.Blob));
        }
        var status = File.ReadAllText(mount.PathOf(".clive/status"));
        Assert.Contains("conflict: entity shop/counter: the save was not made a version (" + why, status);
        Assert.Contains("kept at refs/clive/rejected/entities/shop/counter", File.ReadAllText(Path.Combine(_sandbox.StoreDirectory, "logs", "clive-fs.log")));
        // The file shows the entity's version again once looked up afresh.
        WaitFor(() => File.ReadAllText(mount.PathOf(".clive/entities/shop/counter.json")) == "{\n  \"Count\": 1\n}\n", "the file to show the version again");
    }

    /// <summary>vim with its defaults renames the file to a backup, writes the name anew and deletes the backup.</summary>
    [SkippableFact]
    public void VimSave_ByRenamingToABackup_IsANewVersion_AndLeavesNoFileBehind()
    {
        Skip.IfNot(File.Exists("/usr/bin/vim"), "vim is not installed");
        var before = Current().Commit;
        using var mount = new FuseMountFixture(_sandbox, "demo");
        var file = mount.PathOf(".clive/entities/shop/counter.json");
        var inodeBefore = Inode(file);
        // backupskip= : the sandbox is under /tmp, which vim's default backupskip exempts from its backup rename.
        ProcessRunner.Run("vim", ["-es", "-u", "NONE", "-i", "NONE", "-n", "-c", "set nocompatible backupcopy=auto writebackup backupskip=",
            "-c", "%s/1/7/", "-c", "wq", file], _sandbox.Root, _sandbox.Environment).EnsureSuccess("vim");

        var after = Current();
        Assert.Equal("{\n  \"Count\": 7\n}\n", after.Json);
        Assert.Equal([before], after.Parents);
        Assert.Equal(["counter.json"], Directory.GetFiles(mount.PathOf(".clive/entities/shop")).Select(Path.GetFileName));
        // A new inode: vim saved by rename, not in place.
        Assert.NotEqual(inodeBefore, Inode(file));
        WaitFor(() => File.ReadAllText(file) == "{\n  \"Count\": 7\n}\n", "the file to show the new version");
    }

    private string Inode(string path) =>
        ProcessRunner.Run("stat", ["-c", "%i", path], _sandbox.Root, _sandbox.Environment).EnsureSuccess("stat").Stdout.Trim();

    /// <summary>sed -i writes a temporary file beside the original and renames it over; a second, invalid edit is kept aside.</summary>
    [SkippableFact]
    public void SedInPlace_ByRenamingATemporaryOver_IsANewVersion_OrKeptAside()
    {
        var before = Current().Commit;
        using var mount = new FuseMountFixture(_sandbox, "demo");
        var file = mount.PathOf(".clive/entities/shop/counter.json");
        ProcessRunner.Run("sed", ["-i", "s/1/8/", file], _sandbox.Root, _sandbox.Environment).EnsureSuccess("sed -i");
        var saved = Current();
        Assert.Equal("{\n  \"Count\": 8\n}\n", saved.Json);
        Assert.Equal([before], saved.Parents);

        WaitFor(() => File.ReadAllText(file).Contains('8'), "the file to show the new version");
        ProcessRunner.Run("sed", ["-i", "s/8/\"eight\"/", file], _sandbox.Root, _sandbox.Environment).EnsureSuccess("sed -i");
        Assert.Equal(saved.Commit, Current().Commit);
        using (var store = _sandbox.OpenStore())
        {
            var kept = store.Refs.Get(store.Repos.GetId("demo"), EntityName.RejectedPrefix + "shop/counter")!.Value;
            Assert.Equal([saved.Commit], store.Objects.ReadCommit(kept).Parents);
        }
        Assert.Contains("$.Count: expected a 32-bit integer", File.ReadAllText(mount.PathOf(".clive/status")));
        Assert.Equal(["counter.json"], Directory.GetFiles(mount.PathOf(".clive/entities/shop")).Select(Path.GetFileName));
    }

    [SkippableFact]
    public void EntityFile_IsNotDeletedOrRenamed_ThroughTheMount()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo");
        var file = mount.PathOf(".clive/entities/shop/counter.json");
        Assert.Throws<UnauthorizedAccessException>(() => File.Delete(file));
        Assert.Throws<UnauthorizedAccessException>(() => File.Move(file, mount.PathOf(".clive/entities/shop/other.json")));
        Assert.Throws<UnauthorizedAccessException>(() => File.Move(file, mount.PathOf("counter.json")));
        Assert.Equal("{\n  \"Count\": 1\n}\n", File.ReadAllText(file));
    }
}
