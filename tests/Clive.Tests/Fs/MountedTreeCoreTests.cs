using System.Text;
using Clive.Fs;
using Clive.Git;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>
/// The mount's core without FUSE: <see cref="MountedTree"/> driven in-process against a real store,
/// as the kernel adapter drives it, so the code that can lose data is tested on machines without
/// /dev/fuse too. Each test is a sequence of calls a kernel could make.
/// </summary>
public sealed class MountedTreeCoreTests : IDisposable
{
    private static readonly CommitIdentity Identity = new("Core Test <core@example.com>", "Core Test <core@example.com>");
    private readonly GitSandbox _sandbox = new();
    private readonly List<string> _log = [];

    public MountedTreeCoreTests()
    {
        _sandbox.NewRepo("src", ("a.txt", "a\n"), ("b.txt", "b\n"), ("dir/c.txt", "c\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    private MountedTree Mount() => new(_sandbox.OpenStore(), "demo", null, Identity, new ConflictNotices(line => { lock (_log) _log.Add(line); }));

    private static ulong Inode(MountedTree tree, string path)
    {
        ulong inode = MountedTree.RootInode;
        foreach (var name in path.Split('/')) inode = tree.Lookup(inode, name).Inode;
        return inode;
    }

    private static string ReadAll(MountedTree tree, ulong handle)
    {
        var buffer = new byte[4096];
        int n = tree.Read(handle, 0, buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static string Read(MountedTree tree, string path)
    {
        var handle = tree.Open(Inode(tree, path), writable: false);
        try { return ReadAll(tree, handle); }
        finally { tree.Release(handle); }
    }

    private static void WriteFile(MountedTree tree, string path, string content)
    {
        var handle = tree.Open(Inode(tree, path), writable: true, truncate: true);
        tree.Write(handle, 0, Encoding.UTF8.GetBytes(content));
        tree.Release(handle);
    }

    private static void Committed(MountedTree tree)
    {
        var result = tree.CommitOverlay((_, _) => false, "core-test", out var status);
        Assert.True(result is not null, $"commit: {status}");
    }

    /// <summary>A file of a ref of the store, as git fetches it.</summary>
    private string Show(string refName, string path)
    {
        Fetch(refName);
        return _sandbox.GitOk("scratch-ls", "show", "FETCH_HEAD:" + path).Stdout;
    }

    /// <summary>Fetches a ref of the store into the scratch repository "scratch-ls" (as FETCH_HEAD).</summary>
    private void Fetch(string refName)
    {
        if (!Directory.Exists(_sandbox.PathOf("scratch-ls"))) _sandbox.GitOk("", "init", "-q", "scratch-ls");
        _sandbox.GitOk("scratch-ls", "fetch", "-q", GitSandbox.Url("demo"), refName);
    }

    private string ConflictBranch()
        => _sandbox.GitOk("", "ls-remote", "--heads", GitSandbox.Url("demo")).Stdout
            .Split('\n').Single(l => l.Contains("refs/heads/clive-fs/conflict-")).Split('\t')[1];

    [Fact]
    public void RenameOverAnOpenFile_TheOpenHandleKeepsReadingWhatItOpened_AndTheCommitHasTheNewBytes()
    {
        using var tree = Mount();
        var reader = tree.Open(Inode(tree, "b.txt"), writable: false);
        var (_, writer) = tree.Create(MountedTree.RootInode, ".b.txt.swp", executable: false);
        tree.Write(writer, 0, "new b\n"u8);
        tree.Release(writer);

        tree.Rename(MountedTree.RootInode, ".b.txt.swp", MountedTree.RootInode, "b.txt", noReplace: false);

        Assert.Equal("b\n", ReadAll(tree, reader));
        tree.Release(reader);
        Assert.Equal("new b\n", Read(tree, "b.txt"));
        Assert.Throws<FsException>(() => tree.Lookup(MountedTree.RootInode, ".b.txt.swp"));
        Committed(tree);
        Assert.Equal("new b\n", Show("refs/heads/main", "b.txt"));
        Assert.False(tree.HasPendingEdits);
    }

    [Fact]
    public void UnlinkWhileOpen_WritesAfterwardsGoNowhere_AndTheDeletionIsWhatIsCommitted()
    {
        using var tree = Mount();
        var handle = tree.Open(Inode(tree, "a.txt"), writable: true);
        tree.Write(handle, 0, "half"u8);
        tree.Unlink(MountedTree.RootInode, "a.txt");
        tree.Write(handle, 4, " written after unlink\n"u8);
        Assert.Equal("half written after unlink\n", ReadAll(tree, handle)); // the open inode still holds its bytes, as on disk
        tree.Release(handle);

        Assert.Throws<FsException>(() => tree.Lookup(MountedTree.RootInode, "a.txt"));
        Committed(tree);
        _sandbox.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "after");
        Assert.False(File.Exists(_sandbox.PathOf("after/a.txt")));
        Assert.Equal("b\n", File.ReadAllText(_sandbox.PathOf("after/b.txt")));
    }

    [Fact]
    public void SavedEditsOfAKilledMount_MeetAPushOnRestart_TheConflictIsSetAsideAndNothingIsLost()
    {
        using (var first = Mount())
        {
            WriteFile(first, "a.txt", "mine\n");          // saved (durable at close), never committed
            WriteFile(first, "dir/c.txt", "also mine\n"); // not touched by the push below
        } // the mount goes away with its edits uncommitted, as after kill -9

        _sandbox.Commit("src", "a.txt", "theirs\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");

        using var second = Mount();
        Assert.Equal("theirs\n", Read(second, "a.txt"));
        Assert.Equal("also mine\n", Read(second, "dir/c.txt")); // the edit elsewhere is still pending, on the new commit
        Assert.Contains(_log, l => l.Contains("a.txt changed on refs/heads/main too"));
        Assert.Equal("mine\n", Show(ConflictBranch(), "a.txt"));

        Committed(second);
        _sandbox.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "merged");
        Assert.Equal("theirs\n", File.ReadAllText(_sandbox.PathOf("merged/a.txt")));
        Assert.Equal("also mine\n", File.ReadAllText(_sandbox.PathOf("merged/dir/c.txt")));
    }

    [Fact]
    public void AFileOpenForWritingWhenAPushChangesIt_GoesToAConflictBranchAtClose_NotOverThePush()
    {
        using var tree = Mount();
        var handle = tree.Open(Inode(tree, "a.txt"), writable: true, truncate: true);
        tree.Write(handle, 0, "being written\n"u8);

        _sandbox.Commit("src", "a.txt", "pushed\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        var invalidated = tree.MoveTo(ObjectId.Parse(_sandbox.RevParse("src", "main")));
        Assert.False(invalidated.IsEmpty);
        tree.Release(handle);

        Assert.Equal("pushed\n", Read(tree, "a.txt"));
        Assert.Equal("being written\n", Show(ConflictBranch(), "a.txt"));
        Assert.False(tree.HasPendingEdits);
    }

    [Fact]
    public void RenamingADirectory_IsOneRowWhateverItHolds_KeepsInodesAndSubmodules_AndCommitsTheMove()
    {
        Directory.CreateDirectory(_sandbox.PathOf("src/dir/many"));
        for (int i = 0; i < 300; i++) File.WriteAllText(_sandbox.PathOf($"src/dir/many/f{i}.txt"), $"{i}\n");
        var submodule = _sandbox.RevParse("src", "main"); // any commit id: git keeps a gitlink without its objects
        _sandbox.GitOk("src", "add", "dir");
        _sandbox.GitOk("src", "update-index", "--add", "--cacheinfo", $"160000,{submodule},dir/sub");
        _sandbox.GitOk("src", "commit", "-q", "-m", "many files and a submodule");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");

        using var tree = Mount();
        tree.MoveTo(ObjectId.Parse(_sandbox.RevParse("src", "main")));
        var before = Inode(tree, "dir/c.txt");
        WriteFile(tree, "dir/many/f7.txt", "edited before the move\n");
        tree.Rename(MountedTree.RootInode, "dir", MountedTree.RootInode, "moved", noReplace: false);

        Assert.Equal(before, Inode(tree, "moved/c.txt"));
        Assert.Equal("c\n", Read(tree, "moved/c.txt"));
        Assert.Equal("edited before the move\n", Read(tree, "moved/many/f7.txt"));
        using (var store = _sandbox.OpenStore())
        {
            var rows = store.Overlay.Load("demo", "refs/heads/main").Select(r => r.Path).ToList();
            Assert.Equal(["dir", "moved", "moved/many/f7.txt"], rows); // not 302 rows
        }
        Committed(tree);
        Fetch("refs/heads/main");
        var listing = _sandbox.GitOk("scratch-ls", "ls-tree", "-r", "FETCH_HEAD").Stdout;
        Assert.Contains($"160000 commit {submodule}\tmoved/sub", listing);
        Assert.Contains("moved/many/f299.txt", listing);
        Assert.DoesNotContain("\tdir/", listing);
        Assert.Equal("edited before the move\n", Show("refs/heads/main", "moved/many/f7.txt"));
    }

    [Fact]
    public void AMovedDirectoryWithEditsInside_ComesBackAfterTheMountIsKilled()
    {
        using (var first = Mount())
        {
            WriteFile(first, "dir/c.txt", "edited\n");
            first.Rename(MountedTree.RootInode, "dir", MountedTree.RootInode, "moved", noReplace: false);
            var (_, handle) = first.Create(Inode(first, "moved"), "new.txt", executable: false);
            first.Write(handle, 0, "new\n"u8);
            first.Release(handle);
        }

        using var second = Mount();
        Assert.Equal("edited\n", Read(second, "moved/c.txt"));
        Assert.Equal("new\n", Read(second, "moved/new.txt"));
        Assert.Throws<FsException>(() => second.Lookup(MountedTree.RootInode, "dir"));
        Committed(second);
        Assert.Equal("edited\n", Show("refs/heads/main", "moved/c.txt"));
        Assert.Equal("new\n", Show("refs/heads/main", "moved/new.txt"));
    }
}
