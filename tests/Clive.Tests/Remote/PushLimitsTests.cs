using Clive.Git;
using Clive.Packs;
using Clive.Store;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>The store's size limits: one object-size limit that push and fsck agree on, and a pack-size limit.</summary>
public sealed class PushLimitsTests : IDisposable
{
    private const int TwoMiB = 2 << 20;
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void ObjectOverMaxObjectSize_IsRefusedAtPush_AndFlaggedByFsck()
    {
        _sandbox.NewRepo("src", ("small", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        WriteRandomFile("src/big", TwoMiB);
        _sandbox.GitOk("src", "add", "big");
        _sandbox.GitOk("src", "commit", "-q", "-m", "big");
        var blob = _sandbox.RevParse("src", "HEAD:big");
        var before = _sandbox.StoreSnapshot();
        var limited = new Dictionary<string, string>(_sandbox.Environment) { ["CLIVE_MAX_OBJECT_SIZE"] = "1m" };
        const string verdict = "2097152 bytes is more than the maximum object size of 1048576 bytes";

        var refused = ProcessRunner.Run("git", ["push", GitSandbox.Url("demo"), "main"], _sandbox.PathOf("src"), limited);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(verdict, refused.Stderr);
        Assert.DoesNotContain("   at ", refused.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());

        // Stored under no limit, the same object is what fsck flags once the limit is set, in the same words.
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.Clive("fsck").EnsureSuccess("fsck with no limit");
        var fsck = ProcessRunner.Run(Binaries.Clive, ["fsck"], _sandbox.Root, limited);
        Assert.NotEqual(0, fsck.ExitCode);
        Assert.Contains($"object {blob}: {verdict}", fsck.Output);

        // The store's own config file says the same.
        _sandbox.GitOk("", "config", "--file", Path.Combine(_sandbox.StoreDirectory, "config"), "clive.maxObjectSize", "1m");
        var fromConfig = _sandbox.Clive("fsck");
        Assert.NotEqual(0, fromConfig.ExitCode);
        Assert.Contains($"object {blob}: {verdict}", fromConfig.Output);
    }

    [Fact]
    public void PackOverMaxPackSize_IsRefused_AndStoreUnchanged()
    {
        _sandbox.NewRepo("src", ("small", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        WriteRandomFile("src/big", TwoMiB);
        _sandbox.GitOk("src", "add", "big");
        _sandbox.GitOk("src", "commit", "-q", "-m", "big");
        var before = _sandbox.StoreSnapshot();
        var limited = new Dictionary<string, string>(_sandbox.Environment) { ["CLIVE_MAX_PACK_SIZE"] = "1m" };

        var refused = ProcessRunner.Run("git", ["push", GitSandbox.Url("demo"), "main"], _sandbox.PathOf("src"), limited);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("pack exceeds the maximum pack size of 1048576 bytes", refused.Stderr);
        Assert.DoesNotContain("   at ", refused.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    [Fact]
    public void DeltaResultOverMaxObjectSize_IsRefusedBeforeItIsBuilt()
    {
        var stream = new MemoryStream();
        using (var pack = new PackBuilder(stream, 2))
        {
            var data = new byte[600_000];
            Random.Shared.NextBytes(data);
            long root = pack.AddWhole(ObjectType.Blob, data);
            // A small delta whose result (the base and as much again) is over the limit.
            pack.AddOfsDelta(root, PackBuilder.KeepPrefixDelta(data.Length, data.Length, data));
            pack.Finish();
        }
        stream.Position = 0;
        var spool = Directory.CreateTempSubdirectory("clive-spool-").FullName;
        try
        {
            var indexer = new PackIndexer(new NoObjects(), null, spool, new StoreLimits(long.MaxValue, 1 << 20));

            var e = Assert.Throws<InvalidPackException>(() => indexer.Index(stream));

            Assert.Contains("1200000 bytes is more than the maximum object size of 1048576 bytes", e.Message);
            Assert.Empty(Directory.GetFiles(spool));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    private void WriteRandomFile(string path, int size)
    {
        var data = new byte[size];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(_sandbox.PathOf(path), data);
    }

    private sealed class NoObjects : IObjectSource
    {
        public bool Contains(ObjectId id) => false;

        public bool TryGetType(ObjectId id, out ObjectType type)
        {
            type = ObjectType.None;
            return false;
        }

        public bool TryRead(ObjectId id, out ObjectType type, out byte[] data)
        {
            type = ObjectType.None;
            data = [];
            return false;
        }
    }
}
