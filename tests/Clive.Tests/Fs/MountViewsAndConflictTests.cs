using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>The hidden .clive/ views, and what happens when the ref moves under conflicting edits.</summary>
public sealed class MountViewsAndConflictTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountViewsAndConflictTests()
    {
        _sandbox.NewRepo("src", ("README.md", "one\n"), ("other.txt", "other\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.GitOk("src", "checkout", "-q", "-b", "team/feature");
        _sandbox.Commit("src", "README.md", "feature\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "team/feature");
        _sandbox.GitOk("src", "checkout", "-q", "main");
    }

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void CliveDirectory_ShowsOtherBranchesAndCommits_ReadOnly_AndIsNotListed()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo");
        var first = _sandbox.RevParse("src", "main");

        Assert.Equal("feature\n", File.ReadAllText(mount.PathOf(".clive/refs/heads/team/feature/README.md")));
        Assert.Equal("one\n", File.ReadAllText(mount.PathOf($".clive/commits/{first}/README.md")));
        Assert.Contains("ref: refs/heads/main", File.ReadAllText(mount.PathOf(".clive/status")));
        Assert.DoesNotContain(".clive", Directory.GetFileSystemEntries(mount.Path).Select(Path.GetFileName));

        var write = Record.Exception(() => File.WriteAllText(mount.PathOf(".clive/refs/heads/team/feature/README.md"), "x"));
        Assert.True(write is IOException or UnauthorizedAccessException, $"writing into a view: {write}");
        Assert.Equal("feature\n", File.ReadAllText(mount.PathOf(".clive/refs/heads/team/feature/README.md")));
    }

    [SkippableFact]
    public void ConflictingPush_KeepsBothVersions_AndSaysSo()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "3");
        File.WriteAllText(mount.PathOf("README.md"), "mine\n");        // conflicts with the push below
        File.WriteAllText(mount.PathOf("untouched.txt"), "also mine\n"); // does not
        _sandbox.Commit("src", "README.md", "theirs\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");

        Poll.Until(() => File.ReadAllText(mount.PathOf(".clive/status")).Contains("conflict:"), "the mount to report the conflict", 10);
        var status = File.ReadAllText(mount.PathOf(".clive/status"));
        Assert.Contains("conflict: README.md changed on refs/heads/main too", status);

        // The mount shows their version (once the kernel has been told); mine is on the conflict
        // branch, with every local edit.
        Poll.Until(() => File.ReadAllText(mount.PathOf("README.md")) == "theirs\n", "the mount to show their README.md", 5);
        var branches = _sandbox.GitOk("", "ls-remote", "--heads", GitSandbox.Url("demo")).Stdout;
        var conflict = branches.Split('\n').Single(l => l.Contains("refs/heads/clive-fs/conflict-")).Split('\t')[1];
        _sandbox.GitOk("", "clone", "-q", "-b", conflict["refs/heads/".Length..], GitSandbox.Url("demo"), "mine");
        Assert.Equal("mine\n", File.ReadAllText(_sandbox.PathOf("mine/README.md")));
        Assert.Equal("also mine\n", File.ReadAllText(_sandbox.PathOf("mine/untouched.txt")));

        // The edit that did not conflict still lands on main, on top of theirs.
        var theirs = _sandbox.RevParse("src", "main");
        Poll.Until(() => _sandbox.StoreRef() != theirs, "the edit that did not conflict to land on main", 15);
        _sandbox.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "main-now");
        Assert.Equal("theirs\n", File.ReadAllText(_sandbox.PathOf("main-now/README.md")));
        Assert.Equal("also mine\n", File.ReadAllText(_sandbox.PathOf("main-now/untouched.txt")));
    }

    [SkippableFact]
    public void AConflict_LeavesTheStatus_OnceItsBranchIsOpened_AndStaysInTheLog()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "3");
        File.WriteAllText(mount.PathOf("README.md"), "mine\n");
        _sandbox.Commit("src", "README.md", "theirs\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        Poll.Until(() => File.ReadAllText(mount.PathOf(".clive/status")).Contains("conflict:"), "the mount to report the conflict", 10);
        Assert.Contains("conflict: README.md changed on refs/heads/main too", File.ReadAllText(mount.PathOf(".clive/status")));

        // Listing the branches is not looking at one; opening the conflict branch is.
        var branch = Assert.Single(Directory.GetDirectories(mount.PathOf(".clive/refs/heads/clive-fs")));
        Assert.Contains("conflict:", File.ReadAllText(mount.PathOf(".clive/status")));
        Assert.Equal("mine\n", File.ReadAllText(Path.Combine(branch, "README.md")));

        Assert.DoesNotContain("conflict:", File.ReadAllText(mount.PathOf(".clive/status")));
        var log = File.ReadAllText(Path.Combine(_sandbox.StoreDirectory, "logs", "clive-fs.log"));
        Assert.Contains("clive-fs: conflict: README.md changed on refs/heads/main too; your version is kept on refs/heads/clive-fs/conflict-", log);
        Assert.Contains("clive-fs: conflict no longer in .clive/status (its branch was opened): README.md changed on refs/heads/main too", log);
    }
}
