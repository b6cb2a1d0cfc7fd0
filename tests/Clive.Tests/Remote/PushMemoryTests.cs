using System.Text;
using Clive.Git;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// Pushes built to exhaust a server's memory, against a server whose heap is capped at 256 MiB:
/// each is stored, or refused with one <c>unpack …</c> line, and the store stays whole.
/// </summary>
public sealed class PushMemoryTests : IDisposable
{
    // For clive::local the server runs inside git-remote-clive, so this caps the server's heap.
    private const string SmallHeap = "0x10000000";
    private const int BlobSize = 8 << 20;

    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Push_OfPackLargerThanTheServersHeap_IsStored()
    {
        _sandbox.NewRepo("src");
        // 272 MiB of incompressible blobs: more than the whole heap, so the pack cannot be held.
        var commit = ImportPack("src", 34, pack =>
        {
            var data = new byte[BlobSize];
            for (int i = 0; i < 34; i++)
            {
                Random.Shared.NextBytes(data);
                pack.AddWhole(ObjectType.Blob, data);
            }
        });

        var push = PushWithSmallHeap("src");

        push.EnsureSuccess("push of a 272 MiB pack under a 256 MiB heap");
        Assert.Equal(commit, _sandbox.StoreRef());
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
        AssertNoSpoolLeft();
    }

    [Fact]
    public void Push_OfDeltaComb_ResolvesInBoundedMemory()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        // A chain of 40 deltas of 8 MiB objects with a second delta hanging off every link, each
        // link after its tooth: a resolver that keeps every base until its last delta is done
        // keeps the whole chain, 320 MiB. Sent as built (git would reorder it), with a tree and
        // commit that git makes for its blobs.
        const int depth = 40;
        var root = new byte[BlobSize];
        Random.Shared.NextBytes(root);
        void Comb(PackBuilder pack)
        {
            long link = pack.AddWhole(ObjectType.Blob, root);
            for (int i = 1; i <= depth; i++)
            {
                pack.AddOfsDelta(link, PackBuilder.KeepPrefixDelta(BlobSize, BlobSize - 16, Encoding.ASCII.GetBytes($"tooth {i,10}")));
                link = pack.AddOfsDelta(link, PackBuilder.KeepPrefixDelta(BlobSize, BlobSize - 16, Encoding.ASCII.GetBytes($"link  {i,10}")));
            }
        }
        var old = _sandbox.RevParse("src", "HEAD");
        var commit = ImportPack("src", 1 + 2 * depth, Comb, parent: old);
        var tree = _sandbox.RevParse("src", commit + "^{tree}");
        var packBytes = new MemoryStream();
        using (var pack = new PackBuilder(packBytes, 3 + 2 * depth))
        {
            Comb(pack);
            pack.AddWhole(ObjectType.Tree, _sandbox.GitOk("src", "cat-file", "tree", tree).StdoutBytes);
            pack.AddWhole(ObjectType.Commit, _sandbox.GitOk("src", "cat-file", "commit", commit).StdoutBytes);
            pack.Finish();
        }

        var result = ServeReceivePackWithSmallHeap(old, commit, packBytes.ToArray());

        Assert.Contains("unpack ok", result.Stdout);
        Assert.Equal(commit, _sandbox.StoreRef());
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    [Fact]
    public void Push_OfPackClaimingABillionObjects_IsOneUnpackError()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        var before = _sandbox.StoreSnapshot();
        var packBytes = new MemoryStream();
        using (var pack = new PackBuilder(packBytes, 1u << 30))
        {
            pack.AddWhole(ObjectType.Blob, "one object of the billion"u8);
            pack.Finish();
        }
        var old = _sandbox.RevParse("src", "HEAD");

        var result = ServeReceivePackWithSmallHeap(old, "1234567890123456789012345678901234567890", packBytes.ToArray());

        // What follows the one real object (its trailer, parsed as a next entry) is not an entry.
        Assert.Contains("unpack ", result.Stdout);
        Assert.DoesNotContain("unpack ok", result.Stdout);
        Assert.Contains("ng refs/heads/main", result.Stdout);
        Assert.DoesNotContain("   at ", result.Output);
        Assert.Equal(before, _sandbox.StoreSnapshot());
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    [Fact]
    public void DeltaChainAHundredThousandDeep_IsStored_AndCloned()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        // Each link drops the first 4 bytes of its base and appends its own number: 20 bytes each,
        // all different, and reading the last one walks the whole chain.
        const int depth = 100_000;
        var content = "base of a long chain"u8.ToArray();
        var packBytes = new MemoryStream();
        var old = _sandbox.RevParse("src", "HEAD");
        string commit;
        using (var pack = new PackBuilder(packBytes, depth + 3))
        {
            long link = pack.AddWhole(ObjectType.Blob, content);
            for (int i = 0; i < depth; i++)
            {
                byte[] delta = [20, 20, 0x91, 4, 16, 4, (byte)(i >> 24), (byte)(i >> 16), (byte)(i >> 8), (byte)i];
                link = pack.AddOfsDelta(link, delta);
                content = [.. content[4..], .. delta[6..]];
            }
            var tree = new MemoryStream();
            tree.Write("100644 f\0"u8);
            tree.Write(ObjectId.HashObject(ObjectType.Blob, content).ToBytes());
            pack.AddWhole(ObjectType.Tree, tree.ToArray());
            var text = $"tree {ObjectId.HashObject(ObjectType.Tree, tree.ToArray())}\nparent {old}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\n\ndeep\n";
            pack.AddWhole(ObjectType.Commit, Encoding.ASCII.GetBytes(text));
            commit = ObjectId.HashObject(ObjectType.Commit, Encoding.ASCII.GetBytes(text)).ToString();
            pack.Finish();
        }

        var push = ServeReceivePackWithSmallHeap(old, commit, packBytes.ToArray());
        var clone = _sandbox.Git("", "clone", "-q", GitSandbox.Url("demo"), "copy");

        Assert.Contains("unpack ok", push.Stdout);
        clone.EnsureSuccess("clone of a 100,000-deep delta chain");
        Assert.Equal(content, File.ReadAllBytes(_sandbox.PathOf("copy/f")));
    }

    /// <summary>Writes a pack into <paramref name="repo"/> as git's own, and points main at a commit of a tree of all its blobs.</summary>
    private string ImportPack(string repo, int count, Action<PackBuilder> build, string? parent = null)
    {
        var packPath = _sandbox.PathOf($"{repo}/.git/objects/pack/pack-test.pack");
        using (var file = new BufferedStream(File.Create(packPath), 1 << 20))
        using (var pack = new PackBuilder(file, (uint)count))
        {
            build(pack);
            pack.Finish();
        }
        _sandbox.GitOk(repo, "index-pack", packPath);
        var index = File.ReadAllBytes(Path.ChangeExtension(packPath, ".idx"));
        var blobs = ProcessRunner.Run("git", ["show-index"], _sandbox.PathOf(repo), _sandbox.Environment, index).EnsureSuccess("show-index").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[1]).ToArray();
        Assert.Equal(count, blobs.Length);
        var listing = string.Concat(blobs.Select((id, i) => $"100644 blob {id}\tfile{i}\n"));
        var tree = ProcessRunner.Run("git", ["mktree"], _sandbox.PathOf(repo), _sandbox.Environment, Encoding.ASCII.GetBytes(listing))
            .EnsureSuccess("mktree").Stdout.Trim();
        var commit = _sandbox.GitOk(repo, ["commit-tree", tree, "-m", "big", .. parent is null ? Array.Empty<string>() : ["-p", parent]]).Stdout.Trim();
        _sandbox.GitOk(repo, "update-ref", "refs/heads/main", commit);
        return commit;
    }

    // pack.window=0: git sends the objects as stored (reusing the deltas), with no delta search of its own.
    private ProcessResult PushWithSmallHeap(string repo)
        => ProcessRunner.Run("git", ["-c", "pack.window=0", "push", "-q", GitSandbox.Url("demo"), "main"],
            _sandbox.PathOf(repo), WithSmallHeap());

    /// <summary>Speaks receive-pack to <c>clive serve</c> directly, to send a pack exactly as built.</summary>
    private ProcessResult ServeReceivePackWithSmallHeap(string old, string @new, byte[] pack)
    {
        var line = $"{old} {@new} refs/heads/main\0report-status";
        var commands = $"{line.Length + 5:x4}{line}\n0000";
        return ProcessRunner.Run(Binaries.Clive, ["serve", "git-receive-pack", "demo"],
            _sandbox.Root, WithSmallHeap(), [.. Encoding.ASCII.GetBytes(commands), .. pack]);
    }

    private Dictionary<string, string> WithSmallHeap() => new(_sandbox.Environment) { ["DOTNET_GCHeapHardLimit"] = SmallHeap };

    private void AssertNoSpoolLeft()
    {
        var spool = Path.Combine(_sandbox.StoreDirectory, "tmp");
        Assert.Empty(Directory.GetFileSystemEntries(spool));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(spool));
    }
}
