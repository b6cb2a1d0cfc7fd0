using System.Diagnostics;
using Clive.Fs;
using Clive.Git;
using Clive.Store;
using Clive.Store.Refs;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>
/// A mount's background threads must not die or spin silently: a failure they cannot get past
/// stops the mount (logged with its stack, one fatal line, exit 128, unmounted), a busy store is
/// waited out, and saved edits survive either way.
/// </summary>
public sealed class MountFailureTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountFailureTests()
    {
        _sandbox.NewRepo("src", ("README.md", "hello\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    /// <summary>clive-fs in the foreground, as a process of the test's own, so its exit code and stderr can be read.</summary>
    private sealed class ForegroundMount : IDisposable
    {
        private readonly GitSandbox _sandbox;
        private readonly Task<string> _stdout;

        public ForegroundMount(GitSandbox sandbox)
        {
            Skip.IfNot(FuseMountFixture.Available, "FUSE is not available (/dev/fuse, apt-get install fuse3)");
            _sandbox = sandbox;
            Path = sandbox.PathOf("mnt");
            Directory.CreateDirectory(Path);
            Process = ProcessRunner.Start(Binaries.CliveFs,
                ["-f", "--commit-delay", "0.2", "demo", Path], sandbox.Root, sandbox.Environment);
            Process.StandardInput.Close();
            _stdout = Process.StandardOutput.ReadToEndAsync();
            Stderr = Process.StandardError.ReadToEndAsync();
            Poll.Until(() => IsMounted || Process.HasExited, "the mount to appear");
            Assert.True(IsMounted, "clive-fs did not mount");
        }

        public Process Process { get; }
        public string Path { get; }
        public Task<string> Stderr { get; }

        public bool IsMounted => File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ')[4] == Path);

        /// <summary>Waits for the mount to stop on its own; its exit code and what it printed.</summary>
        public (int ExitCode, string Stderr) WaitForExit()
        {
            Assert.True(Process.WaitForExit(TimeSpan.FromSeconds(30)), "the mount went on running");
            return (Process.ExitCode, Stderr.Result);
        }

        public void Dispose()
        {
            ProcessRunner.Run("fusermount3", ["-u", "-z", Path], _sandbox.Root, _sandbox.Environment);
            if (!Process.WaitForExit(TimeSpan.FromSeconds(10))) Process.Kill();
            _ = _stdout.Wait(TimeSpan.FromSeconds(5));
            Process.Dispose();
        }
    }

    private static void AssertStoppedLoudly(ForegroundMount mount, (int ExitCode, string Stderr) exit, string fatal)
    {
        Assert.Equal(128, exit.ExitCode);
        var lines = exit.Stderr.TrimEnd('\n').Split('\n');
        Assert.StartsWith("fatal: " + fatal, lines[^1]);
        Assert.Single(lines, l => l.StartsWith("fatal: "));
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at Clive.")); // the stack, in the log
        Assert.False(mount.IsMounted, "still mounted");
    }

    [SkippableFact]
    public void TheRefFollowerFailing_StopsTheMount_InsteadOfShowingAStaleTreeForever()
    {
        using var mount = new ForegroundMount(_sandbox);
        // The ref now names a commit the store does not have (what a gc that deleted too much leaves).
        var missing = ObjectId.HashObject(ObjectType.Commit, "tree 0000000000000000000000000000000000000000\n\nnowhere\n"u8);
        using (var store = _sandbox.OpenStore())
        {
            var current = store.Refs.Get(store.Repos.GetId("demo"), "refs/heads/main")!.Value;
            // Below RefTransaction, which refuses a ref to a missing object: this is the store a bug would leave.
            using var write = store.BeginWrite();
            store.Refs.Write(store.Repos.GetId("demo"), "refs/heads/main", missing, null);
            store.Events.Append("demo", "refs/heads/main", current, missing, "test", "corrupt");
            write.Committed += store.Events.Signal;
            write.Commit();
        }

        AssertStoppedLoudly(mount, mount.WaitForExit(), $"following refs/heads/main failed: object {missing} is missing from the store");
    }

    [SkippableFact]
    public void TheCommitterFailing_StopsTheMount_AndTheEditsWaitForTheNextMount()
    {
        var before = _sandbox.StoreRef();
        using (var mount = new ForegroundMount(_sandbox))
        {
            // Every ref update now fails inside SQLite, as a store error the mount cannot get past would.
            using (var store = _sandbox.OpenStore())
                store.Connection.Execute("CREATE TRIGGER injected BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
            File.WriteAllText(System.IO.Path.Combine(mount.Path, "kept.txt"), "kept\n");

            AssertStoppedLoudly(mount, mount.WaitForExit(), "committing the mount's edits failed: ");
            Assert.Contains("injected failure", mount.Stderr.Result);
        }
        Assert.Equal(before, _sandbox.StoreRef());

        using (var store = _sandbox.OpenStore()) store.Connection.Execute("DROP TRIGGER injected");
        using var again = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "0.2");
        Poll.Until(() => _sandbox.StoreRef() != before, "the kept edit's commit");
        _sandbox.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "check");
        Assert.Equal("kept\n", File.ReadAllText(_sandbox.PathOf("check/kept.txt")));
    }

    [Fact]
    public void ABusyStore_DelaysTheCommit_WithoutStoppingTheMount()
    {
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        bool stopped = false;
        var failure = new MountFailure(log.Enqueue, () => stopped = true);
        var store = _sandbox.OpenStore();
        store.Connection.DefaultTimeout = 1; // seconds SQLite waits for another writer before saying BUSY
        using var tree = new MountedTree(store, "demo", null, new CommitIdentity("A <a@x>", "A <a@x>"), new ConflictNotices(log.Enqueue));
        var (_, handle) = tree.Create(MountedTree.RootInode, "busy.txt", executable: false);
        tree.Write(handle, 0, "busy\n"u8);
        tree.Release(handle);
        var before = _sandbox.StoreRef();

        using (var other = _sandbox.OpenStore())
        {
            var hold = other.BeginWrite();
            using var committer = new OverlayCommitter(tree, TimeSpan.FromMilliseconds(50), "test", log.Enqueue, failure);
            Poll.Until(() => log.Any(l => l.StartsWith("commit delayed, edits kept in the overlay: ")), "the committer to meet the busy store");
            hold.Dispose();
            Poll.Until(() => _sandbox.StoreRef() != before, "the commit once the store is free");
        }
        Assert.False(failure.HasFailed);
        Assert.False(stopped);
    }
}
