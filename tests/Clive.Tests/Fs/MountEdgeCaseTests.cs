using System.Diagnostics;
using Clive.Fs;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>Edge cases where a write path could lose, resurrect or corrupt data (found in review).</summary>
public sealed class MountEdgeCaseTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountEdgeCaseTests()
    {
        _sandbox.NewRepo("src", ("README.md", "hello\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    private FuseMountFixture Mount() => new(_sandbox, "demo", "mnt", "--commit-delay", "0.2");

    private string RemoteMain() => _sandbox.StoreRef();

    /// <summary>Waits until the mount has committed past <paramref name="before"/> and stands on that commit; returns it.</summary>
    private string WaitForCommit(FuseMountFixture mount, string before)
    {
        string Status() => File.ReadAllText(mount.PathOf(".clive/status"));
        Poll.Until(() => RemoteMain() is var now && now != before && Status().Contains($"commit: {now}\n"), "the mount's commit", 15, Status);
        return RemoteMain();
    }

    /// <summary>A file as the ref now has it (fetched into the source repo first).</summary>
    private string Show(string path)
    {
        _sandbox.GitOk("src", "fetch", "-q", GitSandbox.Url("demo"), "main");
        return _sandbox.GitOk("src", "show", $"FETCH_HEAD:{path}").Stdout;
    }

    private ProcessResult Sh(string directory, string script) => ProcessRunner.Run("/bin/sh", ["-c", script], directory, _sandbox.Environment);

    [SkippableFact]
    public void FileInADirectoryCommittedWhileEmpty_IsCommittedLater()
    {
        using var mount = Mount();
        var start = RemoteMain();
        Directory.CreateDirectory(mount.PathOf("d"));
        File.WriteAllText(mount.PathOf("x"), "a");
        var first = WaitForCommit(mount, start);

        File.WriteAllText(mount.PathOf("d/f"), "data\n");
        WaitForCommit(mount, first);

        Assert.Equal("data\n", Show("d/f"));
    }

    [SkippableFact]
    public void WritingToAnUnlinkedFile_DoesNotBringItBack()
    {
        using var mount = Mount();
        var start = RemoteMain();

        Sh(mount.Path, "exec 3>ghost; rm ghost; echo boo >&3; exec 3>&-; echo kept > real").EnsureSuccess("unlink while open");

        WaitForCommit(mount, start);
        _sandbox.GitOk("src", "fetch", "-q", GitSandbox.Url("demo"), "main");
        var files = _sandbox.GitOk("src", "ls-tree", "--name-only", "FETCH_HEAD").Stdout;
        Assert.Contains("real", files);
        Assert.DoesNotContain("ghost", files);
        Assert.False(File.Exists(mount.PathOf("ghost")));
    }

    [SkippableFact]
    public void AnEditUndone_DoesNotHideOrRevertWhatOthersPushLater()
    {
        using var mount = Mount();
        File.WriteAllText(mount.PathOf("tmp"), "x");
        File.Delete(mount.PathOf("tmp"));
        // The quiet period passes: the spent rows (they change nothing) are retired, unseen by git.
        Poll.Until(() => File.ReadAllText(mount.PathOf(".clive/status")).Contains("pending edits: 0\n"), "the spent rows to be retired", 10);

        _sandbox.Commit("src", "tmp", "theirs\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        var theirs = _sandbox.RevParse("src", "main");
        Poll.Until(() => File.Exists(mount.PathOf("tmp")), "their tmp to appear in the mount", 10);
        Assert.Equal("theirs\n", File.ReadAllText(mount.PathOf("tmp")));

        File.WriteAllText(mount.PathOf("other"), "mine\n");
        WaitForCommit(mount, theirs);
        Assert.Equal("theirs\n", Show("tmp"));
    }

    [SkippableFact]
    public void UnflushedWritesAtShutdown_AreSavedAndCommitted()
    {
        using (var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "30"))
        {
            // A writer holds the file open, unflushed, when the daemon is told to stop.
            using var writer = new FileStream(mount.PathOf("open.txt"), FileMode.Create, FileAccess.Write);
            writer.Write("still open\n"u8);
            writer.Flush(); // to the kernel, and through it to clive-fs; no close, no fsync
            foreach (var pid in mount.DaemonPids()) ProcessRunner.Run("kill", ["-TERM", pid.ToString()], "/", new Dictionary<string, string>());
            Assert.True(ProcessTree.WaitForNone("clive-fs -f demo " + mount.Path, TimeSpan.FromSeconds(20)));
        }

        _sandbox.GitOk("src", "fetch", "-q", GitSandbox.Url("demo"), "main");
        Assert.Equal("still open\n", _sandbox.GitOk("src", "show", "FETCH_HEAD:open.txt").Stdout);
    }

    [SkippableFact]
    public void EditsLeftByAKilledMount_MeetAPushMadeMeanwhile_AsAConflict()
    {
        using (var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "30"))
        {
            File.WriteAllText(mount.PathOf("README.md"), "mine\n");
            foreach (var pid in mount.DaemonPids()) System.Diagnostics.Process.GetProcessById(pid).Kill();
        }
        _sandbox.Commit("src", "README.md", "theirs\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");

        using var again = Mount();

        Assert.Equal("theirs\n", File.ReadAllText(again.PathOf("README.md")));
        Assert.Contains("conflict: README.md changed on refs/heads/main too", File.ReadAllText(again.PathOf(".clive/status")));
        var branch = _sandbox.GitOk("", "ls-remote", "--heads", GitSandbox.Url("demo")).Stdout.Split('\n').Single(l => l.Contains("clive-fs/conflict-")).Split('\t')[1];
        _sandbox.GitOk("src", "fetch", "-q", GitSandbox.Url("demo"), branch);
        Assert.Equal("mine\n", _sandbox.GitOk("src", "show", "FETCH_HEAD:README.md").Stdout);
    }

    [SkippableFact]
    public void FarTimes_AreKeptAsSet_AndTheMountLives()
    {
        // Beyond DateTimeOffset's year 9999, as tmpfs keeps them: POSIX times have no such limit.
        using var mount = Mount();
        var result = ProcessRunner.Run("python3", ["-c", "import os; os.utime('README.md', (0, 10**13)); print(os.stat('README.md').st_mtime_ns)"],
            mount.Path, _sandbox.Environment).EnsureSuccess("utime");
        Assert.Equal("10000000000000000000000", result.Stdout.Trim());
        Assert.Equal("hello\n", File.ReadAllText(mount.PathOf("README.md")));
    }

    [Fact]
    public void FileBuffer_HoleAfterTruncate_ReadsAsZeros()
    {
        var buffer = new FileBuffer("hello world"u8.ToArray());
        buffer.Truncate(0);
        buffer.Write(5, "X"u8);
        var read = new byte[6];
        Assert.Equal(6, buffer.Read(0, read));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, (byte)'X' }, read);
    }

    [Fact]
    public void IgnoreRules_DirectoryPatterns_MatchDirectoriesAndWhatIsInThem()
    {
        var rules = new IgnoreRules("build/\n*.o\n/top.txt\n");
        Assert.True(rules.IsIgnored("build", isDirectory: true));
        Assert.True(rules.IsIgnored("build/out/app"));
        Assert.False(rules.IsIgnored("build"));
        Assert.True(rules.IsIgnored("src/x.o"));
        Assert.True(rules.IsIgnored("top.txt"));
        Assert.False(rules.IsIgnored("sub/top.txt"));
        Assert.True(rules.IsIgnored(".main.c.swp"));
        Assert.False(rules.IsIgnored("main.c"));
    }

    [Fact]
    public void IgnoreRules_NestedGitignoreFiles_GiveGitsVerdict()
    {
        var files = new Dictionary<string, string>
        {
            [".gitignore"] = "*.log\n/only-root.txt\ngen/\n",
            ["sub/.gitignore"] = "!keep.log\nlocal.txt\n/anchored.txt\n*.tmp\n",
            ["sub/deep/.gitignore"] = "!*.tmp\n",
        };
        string[] paths = ["a.log", "sub/a.log", "sub/keep.log", "sub/deep/keep.log", "only-root.txt", "sub/only-root.txt", "sub/local.txt",
            "sub/deep/local.txt", "local.txt", "sub/anchored.txt", "sub/deep/anchored.txt", "sub/x.tmp", "sub/deep/x.tmp", "x.tmp",
            "gen/out.c", "sub/gen/out.c", "sub/deep/gen/keep.log"];
        _sandbox.NewRepo("ignores");
        foreach (var (path, text) in files.Concat(paths.Select(p => KeyValuePair.Create(p, "x\n"))))
        {
            var full = _sandbox.PathOf("ignores/" + path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        var byGit = _sandbox.Git("ignores", ["check-ignore", "--no-index", .. paths]).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        Assert.NotEmpty(byGit);

        var rules = new IgnoreRules(directory => files.GetValueOrDefault(directory.Length == 0 ? ".gitignore" : directory + "/.gitignore"));
        foreach (var path in paths) Assert.True(byGit.Contains(path) == rules.IsIgnored(path), $"{path}: git says {(byGit.Contains(path) ? "ignored" : "not ignored")}");
    }

    [Theory]
    [InlineData("*.py[cod]", "x.pyc", true)]
    [InlineData("*.py[cod]", "x.py", false)]
    [InlineData("**/logs", "a/b/logs", true)]
    [InlineData("**/logs", "logs", true)]
    [InlineData("docs/**/*.tmp", "docs/a/b/c.tmp", true)]
    [InlineData("docs/**/*.tmp", "docs/c.tmp", true)]
    [InlineData("docs/**/*.tmp", "other/c.tmp", false)]
    [InlineData("out/**", "out/deep/file", true)]
    [InlineData("*.log\n!keep.log", "keep.log", false)]
    [InlineData("*.log\n!keep.log", "other.log", true)]
    [InlineData("build/\n!build/keep", "build/keep", true)] // as in git: nothing inside an ignored directory comes back
    [InlineData("\\#name", "#name", true)]
    public void IgnoreRules_FollowGitsPatternLanguage(string gitignore, string path, bool ignored)
        => Assert.Equal(ignored, new IgnoreRules(gitignore).IsIgnored(path));
}
