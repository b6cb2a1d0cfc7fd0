using System.Diagnostics;
using System.Text;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>
/// Writing through a real clive-fs mount with ordinary tools: what is saved becomes a commit on
/// the ref after a quiet period, with the right content and modes; what git cannot represent
/// fails with its errno; nothing written is lost to kill -9.
/// </summary>
public sealed class MountWriteTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountWriteTests()
    {
        _sandbox.NewRepo("src", ("README.md", "hello world\n"), ("lib/util.c", "int util(void) { return 1; }\n"), ("docs/old.txt", "old\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    private FuseMountFixture Mount() => new(_sandbox, "demo", "mnt", "--commit-delay", "0.2");

    private string RemoteMain() => _sandbox.StoreRef();

    /// <summary>Waits until the mount has committed every edit (its status says none is pending), then clones what the ref now holds.</summary>
    private string CommittedClone(FuseMountFixture mount, string before, string name = "check")
    {
        Poll.Until(() => RemoteMain() != before && File.ReadAllText(mount.PathOf(".clive/status")).Contains("pending edits: 0\n"),
            "the mount to commit its edits", 30, () => File.ReadAllText(mount.PathOf(".clive/status")));
        _sandbox.GitOk("", "clone", "-q", GitSandbox.Url("demo"), name);
        return name;
    }

    private ProcessResult Sh(string directory, string script)
        => ProcessRunner.Run("/bin/sh", ["-c", script], directory, _sandbox.Environment);

    [SkippableFact]
    public void ShellEdits_BecomeOneCommit_WithContentAndModes()
    {
        using var mount = Mount();
        var before = RemoteMain();

        Sh(mount.Path, """
            set -e
            echo "new file" > new.txt
            echo "more" >> README.md
            sed -i 's/return 1/return 2/' lib/util.c
            mkdir -p src/deep && echo deep > src/deep/x.txt
            printf '#!/bin/sh\necho hi\n' > run.sh && chmod +x run.sh
            ln -s README.md link
            mv docs/old.txt docs/renamed.txt
            touch empty
            """).EnsureSuccess("shell edits");

        var clone = CommittedClone(mount, before);
        Assert.Equal("hello world\nmore\n", File.ReadAllText(_sandbox.PathOf($"{clone}/README.md")));
        Assert.Equal("int util(void) { return 2; }\n", File.ReadAllText(_sandbox.PathOf($"{clone}/lib/util.c")));
        Assert.Equal("deep\n", File.ReadAllText(_sandbox.PathOf($"{clone}/src/deep/x.txt")));
        Assert.Equal("old\n", File.ReadAllText(_sandbox.PathOf($"{clone}/docs/renamed.txt")));
        Assert.False(File.Exists(_sandbox.PathOf($"{clone}/docs/old.txt")));
        var tree = _sandbox.GitOk(clone, "ls-tree", "-r", "HEAD").Stdout;
        Assert.Contains("100755 blob", tree.Split('\n').Single(l => l.EndsWith("\trun.sh")));
        Assert.Contains("120000 blob", tree.Split('\n').Single(l => l.EndsWith("\tlink")));
        Assert.Contains("\tempty", tree);
        var message = _sandbox.GitOk(clone, "log", "-1", "--format=%s").Stdout;
        Assert.StartsWith("clive-fs: ", message);
        Assert.Contains("new.txt", message);
        Assert.Equal(1, int.Parse(_sandbox.GitOk(clone, "rev-list", "--count", $"{before}..HEAD").Stdout.Trim()));
        _sandbox.Clive("fsck").EnsureSuccess("fsck");
        Assert.Contains("clive-fs commit", _sandbox.Clive("log", "demo", "main", "-n", "1").Stdout);
    }

    [SkippableFact]
    public void Vim_WriteQuit_SavesAtomically_AndItsSwapFileIsNotCommitted()
    {
        Skip.IfNot(File.Exists("/usr/bin/vim"), "vim is not installed");
        using var mount = Mount();
        var before = RemoteMain();

        // With its swap file (.README.md.swp, made and removed in the mount) and its write probe.
        var vim = ProcessRunner.Run("vim", ["-u", "NONE", "-E", "-s", "-c", "set swapfile directory=.", "-c", "%s/world/clive/", "-c", "wq",
            mount.PathOf("README.md")], mount.Path, _sandbox.Environment);
        Assert.Equal(0, vim.ExitCode);
        // A swap file that a crashed editor leaves behind stays in the mount but out of commits.
        File.WriteAllText(mount.PathOf(".README.md.swp"), "swap");

        var clone = CommittedClone(mount, before);
        Assert.Equal("hello clive\n", File.ReadAllText(_sandbox.PathOf($"{clone}/README.md")));
        Assert.False(File.Exists(_sandbox.PathOf($"{clone}/.README.md.swp")));
        Assert.True(File.Exists(mount.PathOf(".README.md.swp")));
    }

    [SkippableFact]
    public void GitignoredFiles_WorkInTheMount_ButAreNotCommitted()
    {
        using var mount = Mount();
        var before = RemoteMain();

        File.WriteAllText(mount.PathOf(".gitignore"), "*.o\nbuild/\n");
        Directory.CreateDirectory(mount.PathOf("build"));
        File.WriteAllText(mount.PathOf("build/out.bin"), "artifact");
        File.WriteAllText(mount.PathOf("lib/util.o"), "object");
        File.WriteAllText(mount.PathOf("lib/kept.c"), "kept");

        var clone = CommittedClone(mount, before);
        Assert.True(File.Exists(_sandbox.PathOf($"{clone}/lib/kept.c")));
        Assert.True(File.Exists(_sandbox.PathOf($"{clone}/.gitignore")));
        Assert.False(File.Exists(_sandbox.PathOf($"{clone}/lib/util.o")));
        Assert.False(Directory.Exists(_sandbox.PathOf($"{clone}/build")));
        Assert.Equal("artifact", File.ReadAllText(mount.PathOf("build/out.bin")));
    }

    [SkippableFact]
    public void CopyAndUntarThousandsOfFiles_AllArriveInOneCommit()
    {
        using var mount = Mount();
        var before = RemoteMain();
        var source = _sandbox.PathOf("many");
        for (int d = 0; d < 20; d++)
        {
            Directory.CreateDirectory(Path.Combine(source, $"d{d}"));
            for (int f = 0; f < 100; f++) File.WriteAllText(Path.Combine(source, $"d{d}", $"f{f}.txt"), $"{d}/{f}\n");
        }
        ProcessRunner.Run("tar", ["-cf", _sandbox.PathOf("many.tar"), "-C", source, "."], _sandbox.Root, _sandbox.Environment).EnsureSuccess("tar c");

        ProcessRunner.Run("cp", ["-r", source, mount.PathOf("copied")], _sandbox.Root, _sandbox.Environment).EnsureSuccess("cp -r");
        Directory.CreateDirectory(mount.PathOf("untarred"));
        ProcessRunner.Run("tar", ["-xf", _sandbox.PathOf("many.tar"), "-C", mount.PathOf("untarred")], _sandbox.Root, _sandbox.Environment).EnsureSuccess("tar x");

        var clone = CommittedClone(mount, before);
        var files = _sandbox.GitOk(clone, "ls-files").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2000, files.Count(f => f.StartsWith("copied/")));
        Assert.Equal(2000, files.Count(f => f.StartsWith("untarred/")));
        Assert.Equal("7/42\n", File.ReadAllText(_sandbox.PathOf($"{clone}/untarred/d7/f42.txt")));
    }

    [SkippableFact]
    public void RsyncAndGitApply_Work()
    {
        Skip.IfNot(File.Exists("/usr/bin/rsync"), "rsync is not installed");
        using var mount = Mount();
        var before = RemoteMain();
        var source = _sandbox.PathOf("tree");
        Directory.CreateDirectory(Path.Combine(source, "a/b"));
        File.WriteAllText(Path.Combine(source, "a/b/c.txt"), "synced\n");
        ProcessRunner.Run("rsync", ["-a", source + "/", mount.PathOf("synced")], _sandbox.Root, _sandbox.Environment).EnsureSuccess("rsync");
        var patch = "--- a/lib/util.c\n+++ b/lib/util.c\n@@ -1 +1 @@\n-int util(void) { return 1; }\n+int util(void) { return 3; }\n";
        ProcessRunner.Run("git", ["apply", "-"], mount.Path, _sandbox.Environment, Encoding.UTF8.GetBytes(patch)).EnsureSuccess("git apply");

        var clone = CommittedClone(mount, before);
        Assert.Equal("synced\n", File.ReadAllText(_sandbox.PathOf($"{clone}/synced/a/b/c.txt")));
        Assert.Equal("int util(void) { return 3; }\n", File.ReadAllText(_sandbox.PathOf($"{clone}/lib/util.c")));
    }

    [SkippableFact]
    public void ExtendedAttributes_AreNotSupported()
    {
        using var mount = Mount();

        var xattr = ProcessRunner.Run("python3", ["-c", "import os; os.setxattr('README.md', 'user.x', b'1')"], mount.Path, _sandbox.Environment);
        Assert.Contains("Operation not supported", xattr.Stderr);
    }

    [SkippableFact]
    public void KillNineAfterFsync_LosesNothing_TheNextMountShowsAndCommitsIt()
    {
        string before;
        using (var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "30"))
        {
            before = RemoteMain();
            // Written and fsynced (then closed), with a commit still 30 s away: only the overlay has it.
            ProcessRunner.Run("python3", ["-c", "import os\nf=open('durable.txt','w'); f.write('survives\\n'); f.flush(); os.fsync(f.fileno()); f.close()"],
                mount.Path, _sandbox.Environment).EnsureSuccess("write and fsync");
            foreach (var pid in mount.DaemonPids()) Process.GetProcessById(pid).Kill();
        }
        Assert.Equal(before, RemoteMain());

        using var again = Mount();
        Assert.Equal("survives\n", File.ReadAllText(again.PathOf("durable.txt")));
        var clone = CommittedClone(again, before);
        Assert.Equal("survives\n", File.ReadAllText(_sandbox.PathOf($"{clone}/durable.txt")));
    }

    [SkippableFact]
    public void PushUnderPendingEdits_ElsewhereInTheTree_IsKeptAndTheEditsLandOnTop()
    {
        // A quiet period longer than the test: the push always comes while the edit is pending (a short
        // one lost that race on a loaded machine), and the unmount commits it.
        string pushed;
        using (var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "600"))
        {
            File.WriteAllText(mount.PathOf("local.txt"), "mine\n");
            _sandbox.Commit("src", "pushed.txt", "theirs\n");
            _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
            pushed = _sandbox.RevParse("src", "main");
            string Status() => File.ReadAllText(mount.PathOf(".clive/status"));
            Poll.Until(() => Status().Contains($"commit: {pushed}\n"), "the mount to stand on the push", 30, Status);
            Assert.Contains("pending edits: 1\n", Status());
            Assert.Equal("theirs\n", File.ReadAllText(mount.PathOf("pushed.txt")));
        }

        Poll.Until(() => RemoteMain() != pushed, "the unmount to commit the pending edit");
        _sandbox.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "check");
        Assert.Equal("mine\n", File.ReadAllText(_sandbox.PathOf("check/local.txt")));
        Assert.Equal("theirs\n", File.ReadAllText(_sandbox.PathOf("check/pushed.txt")));
        Assert.Equal(pushed, _sandbox.GitOk("check", "rev-parse", "HEAD~1").Stdout.Trim());
    }
}
