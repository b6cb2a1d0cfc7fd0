using System.Text;
using Clive.Fs;
using Clive.Git;
using Clive.Store.Overlay;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>
/// The mount as a POSIX directory, in-process: modes, owners, times, fifos, devices and hard links
/// are kept as a checkout's disk keeps them, through restarts (as after kill -9: every call below
/// returned, so it is durable) and ref moves, while commits record only what git records.
/// </summary>
public sealed class MountedTreePosixTests : IDisposable
{
    private static readonly CommitIdentity Identity = new("Posix Test <posix@example.com>", "Posix Test <posix@example.com>");
    private static readonly Caller Alice = new(1000, 1000);
    private readonly GitSandbox _sandbox = new();

    public MountedTreePosixTests()
    {
        _sandbox.NewRepo("src", ("a.txt", "a\n"), ("b.txt", "b\n"), ("dir/c.txt", "c\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    private MountedTree Mount() => new(_sandbox.OpenStore(), "demo", null, Identity, new ConflictNotices(_ => { }), new Caller(0, 0));

    private static ulong Inode(MountedTree tree, string path)
    {
        ulong inode = MountedTree.RootInode;
        foreach (var name in path.Split('/')) inode = tree.Lookup(inode, name).Inode;
        return inode;
    }

    private static NodeAttributes Stat(MountedTree tree, string path) => tree.GetAttributes(Inode(tree, path));

    private static uint Permissions(MountedTree tree, string path) => Stat(tree, path).Mode & 0xFFF;

    private static string Read(MountedTree tree, string path)
    {
        var handle = tree.Open(Inode(tree, path), writable: false);
        var buffer = new byte[4096];
        int n = tree.Read(handle, 0, buffer);
        tree.Release(handle);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static void WriteFile(MountedTree tree, string path, string content)
    {
        var handle = tree.Open(Inode(tree, path), writable: true, truncate: true);
        tree.Write(handle, 0, Encoding.UTF8.GetBytes(content));
        tree.Release(handle);
    }

    /// <summary>Someone else's push (on top of what the mount committed).</summary>
    private void Push(string path, string content)
    {
        _sandbox.GitOk("src", "pull", "-q", "--ff-only", GitSandbox.Url("demo"), "main");
        _sandbox.Commit("src", path, content);
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private ObjectId SourceHead => ObjectId.Parse(_sandbox.RevParse("src", "main"));

    private string LsTree()
    {
        if (!Directory.Exists(_sandbox.PathOf("scratch-ls"))) _sandbox.GitOk("", "init", "-q", "scratch-ls");
        _sandbox.GitOk("scratch-ls", "fetch", "-q", GitSandbox.Url("demo"), "refs/heads/main");
        return _sandbox.GitOk("scratch-ls", "ls-tree", "-r", "FETCH_HEAD").Stdout;
    }

    [Fact]
    public void Chmod600OfACommittedFile_MakesNoCommit_AndSurvivesRestartAndRefMoves()
    {
        using (var tree = Mount())
        {
            tree.SetAttributes(Inode(tree, "a.txt"), new AttributeChange(Mode: 0x8000 | 0x180));
            Assert.Equal(0x180u, Permissions(tree, "a.txt"));
            Assert.False(tree.HasPendingEdits); // git sees the x bit only: nothing to commit
            Assert.Null(tree.CommitOverlay((_, _) => false, "test", out _));
        }
        using var again = Mount();
        Assert.Equal(0x180u, Permissions(again, "a.txt"));
        var inode = Inode(again, "a.txt");

        Push("b.txt", "b changed\n");
        again.MoveTo(SourceHead);
        Assert.Equal(inode, Inode(again, "a.txt"));
        Assert.Equal(0x180u, Permissions(again, "a.txt"));

        // A push that rewrites the file keeps its mode (a key stays private) and gives it the commit's time.
        var before = Stat(again, "a.txt").Modified;
        Push("a.txt", "a changed\n");
        again.MoveTo(SourceHead);
        Assert.Equal(0x180u, Permissions(again, "a.txt"));
        Assert.Equal("a changed\n", Read(again, "a.txt"));
        Assert.Equal(again.Modified.ToUnixTimeSeconds(), Stat(again, "a.txt").Modified.Seconds);
        Assert.True(Stat(again, "a.txt").Modified.CompareTo(before) >= 0);
    }

    [Fact]
    public void ChownSetuidAndSetgid_AreKept_CtimeMoves_AndOnlyTheExecutableBitIsCommitted()
    {
        using (var tree = Mount())
        {
            var inode = Inode(tree, "b.txt");
            var before = tree.GetAttributes(inode);
            Thread.Sleep(5); // two clock readings apart, not a wait for anything
            tree.SetAttributes(inode, new AttributeChange(Uid: 1000, Gid: 100));
            var after = tree.SetAttributes(inode, new AttributeChange(Mode: 0x8000 | 0xDED)); // 06755
            Assert.True(after.Changed.CompareTo(before.Changed) > 0, "chmod and chown move ctime");
            Assert.Equal(before.Modified, after.Modified);
            Assert.True(tree.HasPendingEdits); // the x bit is git's
            Assert.NotNull(tree.CommitOverlay((_, _) => false, "test", out _));
        }
        Assert.Contains("100755 blob", LsTree().Split('\n').Single(l => l.EndsWith("\tb.txt")));

        using var again = Mount();
        var b = Stat(again, "b.txt");
        Assert.Equal((0x8000u | 0xDED, 1000u, 100u), (b.Mode, b.Uid, b.Gid));
        Assert.Equal((0u, 0u), (Stat(again, "a.txt").Uid, Stat(again, "a.txt").Gid)); // untouched: the mount's owner
    }

    [Fact]
    public void FifosSocketsAndDevices_AreShownAndKept_ButNeverCommitted()
    {
        using (var tree = Mount())
        {
            var dir = Inode(tree, "dir");
            tree.MakeNode(dir, "pipe", 0x1000 | 0x1A4, 0, Alice);
            tree.MakeNode(dir, "sock", 0xC000 | 0x1ED, 0, Alice);
            tree.MakeNode(dir, "null", 0x2000 | 0x1B6, 0x103, new Caller(0, 0)); // a character device, 1:3
            var (_, handle) = tree.Create(dir, "real.txt", executable: false);
            tree.Write(handle, 0, "real\n"u8);
            tree.Release(handle);
            Assert.NotNull(tree.CommitOverlay((_, _) => false, "test", out _));
            Assert.False(tree.HasPendingEdits);
        }
        var listing = LsTree();
        Assert.Contains("dir/real.txt", listing);
        Assert.DoesNotContain("pipe", listing);
        Assert.DoesNotContain("sock", listing);
        Assert.DoesNotContain("null", listing);

        using var again = Mount();
        Assert.Equal((NodeKind.Fifo, 0x1000u | 0x1A4, 1000u), (Stat(again, "dir/pipe").Kind, Stat(again, "dir/pipe").Mode, Stat(again, "dir/pipe").Uid));
        Assert.Equal(NodeKind.Socket, Stat(again, "dir/sock").Kind);
        Assert.Equal((NodeKind.CharDevice, 0x103ul), (Stat(again, "dir/null").Kind, Stat(again, "dir/null").Device));
        Assert.Contains(again.List(Inode(again, "dir")), e => e.Name == "pipe");

        again.Unlink(Inode(again, "dir"), "pipe");
        again.Rename(Inode(again, "dir"), "sock", MountedTree.RootInode, "moved.sock", noReplace: false);
        Assert.False(again.HasPendingEdits); // git saw neither
        using var third = Mount();
        Assert.Throws<FsException>(() => Inode(third, "dir/pipe"));
        Assert.Throws<FsException>(() => Inode(third, "dir/sock"));
        Assert.Equal(NodeKind.Socket, Stat(third, "moved.sock").Kind);
    }

    [Fact]
    public void HardLinks_AreOneInodeWithSeveralNames_CommitAsEachName_AndSurviveRefMovesAndRestarts()
    {
        using (var tree = Mount())
        {
            var a = Inode(tree, "a.txt");
            var linked = tree.Link(a, Inode(tree, "dir"), "a-link.txt");
            Assert.Equal(a, linked.Inode);
            Assert.Equal(2u, linked.Links);
            WriteFile(tree, "dir/a-link.txt", "through the link\n");
            Assert.Equal("through the link\n", Read(tree, "a.txt"));
            Assert.NotNull(tree.CommitOverlay((_, _) => false, "test", out _));

            Push("b.txt", "unrelated\n");
            tree.MoveTo(SourceHead);
            Assert.Equal(a, Inode(tree, "dir/a-link.txt"));
            Assert.Equal(2u, Stat(tree, "a.txt").Links);
        }
        var listing = LsTree().Split('\n');
        var blobs = listing.Where(l => l.EndsWith("\ta.txt") || l.EndsWith("\tdir/a-link.txt")).Select(l => l.Split(' ', '\t')[2]).ToList();
        Assert.Equal(2, blobs.Count);
        Assert.Equal(blobs[0], blobs[1]);

        using var again = Mount();
        Assert.Equal(Inode(again, "a.txt"), Inode(again, "dir/a-link.txt"));
        Assert.Equal(2u, Stat(again, "a.txt").Links);
        again.Unlink(MountedTree.RootInode, "a.txt");
        Assert.Equal(1u, Stat(again, "dir/a-link.txt").Links);
        Assert.Equal("through the link\n", Read(again, "dir/a-link.txt"));
    }

    [Fact]
    public void Utimens_KeepsNanosecondsAndFarTimes_AcrossARestart()
    {
        var accessed = new FileTime(1_000_000_000, 123_456_789);
        var modified = new FileTime(16_725_225_600, 987_654_321); // the year 2500
        using (var tree = Mount())
            tree.SetAttributes(Inode(tree, "dir/c.txt"), new AttributeChange(Accessed: accessed, Modified: modified));
        using var again = Mount();
        var c = Stat(again, "dir/c.txt");
        Assert.Equal((accessed, modified), (c.Accessed, c.Modified));
    }

    [Fact]
    public void NewEntries_BelongToTheCaller_AndTakeTheGroupOfASetgidDirectory()
    {
        using var tree = Mount();
        var shared = tree.MakeDirectory(MountedTree.RootInode, "shared", 0x1FD, Alice);
        Assert.Equal((1000u, 1000u, 0x4000u | 0x1FD), (shared.Uid, shared.Gid, shared.Mode));
        tree.SetAttributes(shared.Inode, new AttributeChange(Gid: 50, Mode: 0x4000 | 0x5FD)); // 02775
        var (file, handle) = tree.Create(shared.Inode, "f", 0x8000 | 0x1A4, new Caller(1001, 1001));
        tree.Release(handle);
        var sub = tree.MakeDirectory(shared.Inode, "sub", 0x1ED, new Caller(1001, 1001));
        Assert.Equal((1001u, 50u), (file.Uid, file.Gid));
        Assert.Equal((50u, 0x4000u | 0x5ED), (sub.Gid, sub.Mode));
        Assert.Equal(3u, tree.GetAttributes(shared.Inode).Links); // ".", its name, and sub's ".."
    }

    [Fact]
    public void NestedDirectoriesEmptiedByACommit_ThenFilledAgain_Commit()
    {
        // Found by pjdfstest: directories git dropped once empty, then implied again by a new file
        // deep below them, were built twice and the second build read a tree not yet stored.
        using var tree = Mount();
        var a = tree.MakeDirectory(MountedTree.RootInode, "a").Inode;
        var b = tree.MakeDirectory(a, "b").Inode;
        var (_, handle) = tree.Create(b, "f", executable: false);
        tree.Release(handle);
        Assert.NotNull(tree.CommitOverlay((_, _) => false, "test", out _));
        tree.Unlink(b, "f");
        Assert.NotNull(tree.CommitOverlay((_, _) => false, "test", out _));
        Assert.DoesNotContain("a/b", LsTree());

        (_, handle) = tree.Create(b, "g", executable: false);
        tree.Write(handle, 0, "g\n"u8);
        tree.Release(handle);
        Assert.NotNull(tree.CommitOverlay((_, _) => false, "test", out var status));
        Assert.Contains("\ta/b/g", LsTree());
    }

    [Fact]
    public void Rename_CarriesTheAttributes_AndMovesCtime()
    {
        using (var tree = Mount())
        {
            tree.SetAttributes(Inode(tree, "dir/c.txt"), new AttributeChange(Mode: 0x8000 | 0x180, Uid: 7));
            var before = Stat(tree, "dir/c.txt");
            Thread.Sleep(5); // two clock readings apart, not a wait for anything
            tree.Rename(MountedTree.RootInode, "dir", MountedTree.RootInode, "moved", noReplace: false);
            Assert.True(Stat(tree, "moved").Changed.CompareTo(before.Changed) > 0);
        }
        using var again = Mount();
        var c = Stat(again, "moved/c.txt");
        Assert.Equal((0x180u, 7u), (c.Mode & 0xFFF, c.Uid));
    }
}
