using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>clive-fs through a real FUSE mount, read with ordinary tools and compared with a git checkout.</summary>
public sealed class MountReadTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountReadTests()
    {
        _sandbox.NewRepo("src", ("README.md", "# hello\n"), ("src/app/main.c", "int main() { return 0; }\n"), ("docs/ü文.txt", "non-ascii\n"));
        var root = _sandbox.PathOf("src");
        File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\necho run\n");
        File.SetUnixFileMode(Path.Combine(root, "run.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "src/app/main.c");
        File.WriteAllText(Path.Combine(root, "empty"), "");
        var big = new byte[3 << 20];
        new Random(3).NextBytes(big);
        File.WriteAllBytes(Path.Combine(root, "big.bin"), big);
        _sandbox.GitOk("src", "add", ".");
        _sandbox.GitOk("src", "commit", "-q", "-m", "modes");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "HEAD~1:refs/heads/older");
    }

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void Mount_ShowsTheTreeExactlyAsACheckout()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo");

        var diff = ProcessRunner.Run("diff", ["-r", "--no-dereference", "--exclude=.git", _sandbox.PathOf("src"), mount.Path], _sandbox.Root, _sandbox.Environment);

        Assert.True(diff.ExitCode == 0, diff.Stdout + diff.Stderr);
        Assert.True(File.GetUnixFileMode(mount.PathOf("run.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.False(File.GetUnixFileMode(mount.PathOf("README.md")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("src/app/main.c", new FileInfo(mount.PathOf("link")).LinkTarget);
        Assert.Equal(3 << 20, new FileInfo(mount.PathOf("big.bin")).Length);
        Assert.Equal(0, new FileInfo(mount.PathOf("empty")).Length);
    }

    [SkippableFact]
    public void Mount_OfAnotherRef_ShowsThatRef_AndInodesAndTimesAreStable()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo@older");

        Assert.False(File.Exists(mount.PathOf("run.sh")));
        Assert.True(File.Exists(mount.PathOf("docs/ü文.txt")));
        var first = Stat(mount.PathOf("README.md"));
        var again = Stat(mount.PathOf("README.md"));
        Assert.Equal(first, again);
        Assert.Equal(new DateTimeOffset(File.GetLastWriteTimeUtc(mount.PathOf("README.md"))).ToUnixTimeSeconds(),
            long.Parse(_sandbox.GitOk("src", "log", "-1", "--format=%ct", "HEAD~1").Stdout.Trim()));
    }

    [SkippableTheory]
    [InlineData("nosuchrepo", "repository 'nosuchrepo' does not exist")]
    [InlineData("demo@nosuchbranch", "has no ref 'nosuchbranch'")]
    public void Mount_OfMissingRepoOrRef_IsOneLineError(string target, string message)
    {
        Skip.IfNot(FuseMountFixture.Available, "FUSE is not available");
        Directory.CreateDirectory(_sandbox.PathOf("mnt"));

        var result = _sandbox.CliveFs(target, _sandbox.PathOf("mnt"));

        Assert.Equal(128, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [SkippableFact]
    public void Mount_WithoutDevFuse_IsOneLineError()
    {
        // A private mount namespace whose /dev is empty: a system without FUSE, for this process only.
        Skip.IfNot(File.Exists("/usr/bin/unshare"), "unshare is not available");
        Directory.CreateDirectory(_sandbox.PathOf("mnt"));
        var clivefs = Binaries.CliveFs;

        var result = ProcessRunner.Run("unshare", ["--mount", "sh", "-c", $"mount -t tmpfs none /dev && exec '{clivefs}' demo '{_sandbox.PathOf("mnt")}'"],
            _sandbox.Root, _sandbox.Environment);

        Skip.If(result.Stderr.Contains("unshare failed") || result.Stderr.Contains("mount:"), "cannot make a mount namespace here: " + result.Stderr.Trim());
        Assert.Equal(128, result.ExitCode);
        Assert.Equal("fatal: /dev/fuse is missing: this system has no FUSE (load the fuse module; apt-get install fuse3)", result.Stderr.Trim());
    }

    [SkippableFact]
    public void Mount_OnABusyMountpoint_IsOneLineError()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo");

        var again = _sandbox.CliveFs("demo", mount.Path);

        Assert.Equal(128, again.ExitCode);
        Assert.Contains("is already mounted", again.Stderr);
    }

    [SkippableFact]
    public void Foreground_CtrlC_Unmounts()
    {
        Skip.IfNot(FuseMountFixture.Available, "FUSE is not available");
        var mountpoint = _sandbox.PathOf("fg");
        Directory.CreateDirectory(mountpoint);
        using var process = ProcessRunner.Start(Binaries.CliveFs, ["-f", "demo", mountpoint], _sandbox.Root, _sandbox.Environment);
        process.StandardInput.Close();
        Poll.Until(() => File.Exists(Path.Combine(mountpoint, "README.md")), "the foreground mount to appear", 20);

        ProcessRunner.Run("kill", ["-INT", process.Id.ToString()], _sandbox.Root, _sandbox.Environment);

        Assert.True(process.WaitForExit(10_000), "clive-fs did not exit on SIGINT");
        Assert.Equal(0, process.ExitCode);
        Assert.False(File.Exists(Path.Combine(mountpoint, "README.md")));
    }

    private static (long Inode, long Size, DateTime Modified) Stat(string path)
    {
        var ls = ProcessRunner.Run("stat", ["-c", "%i", path], "/", new Dictionary<string, string>()).Stdout.Trim();
        var info = new FileInfo(path);
        return (long.Parse(ls), info.Length, info.LastWriteTimeUtc);
    }
}
