using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>
/// A committed entry named .clive must not stand in for the mount's control directory: whoever
/// can push could otherwise show a mount's user a forged status or forged branch views.
/// </summary>
public sealed class MountControlDirectoryTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private static void AssertRealStatus(FuseMountFixture mount)
    {
        var status = File.ReadAllText(mount.PathOf(".clive/status"));
        Assert.DoesNotContain("FAKE STATUS", status);
        Assert.StartsWith("repo: demo\nref: refs/heads/main\ncommit: ", status);
    }

    /// <summary>
    /// Lists the root as `ls -la` does, first: the kernel then knows the tree's entries before
    /// anyone looks .clive up. The control directory is still never listed.
    /// </summary>
    private void ListRoot(FuseMountFixture mount)
    {
        var listing = ProcessRunner.Run("ls", ["-la", mount.Path], _sandbox.Root, _sandbox.Environment).EnsureSuccess("ls -la").Stdout;
        Assert.DoesNotContain(" .clive", listing);
    }

    [SkippableFact]
    public void CommittedCliveDirectory_DoesNotShadowTheControlDirectory_AndStaysReachable()
    {
        _sandbox.NewRepo("src", ("README.md", "hi\n"), (".clive/status", "FAKE STATUS\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        var commit = _sandbox.RevParse("src", "main");

        using var mount = new FuseMountFixture(_sandbox, "demo");
        ListRoot(mount);

        AssertRealStatus(mount);
        Assert.True(Directory.Exists(mount.PathOf(".clive/refs/heads/main")));
        // The committed entry is still there, through the views of the commit and of the branch.
        Assert.Equal("FAKE STATUS\n", File.ReadAllText(mount.PathOf($".clive/commits/{commit}/.clive/status")));
        Assert.Equal("FAKE STATUS\n", File.ReadAllText(mount.PathOf(".clive/refs/heads/main/.clive/status")));
    }

    [SkippableFact]
    public void CommittedCliveSymlink_DoesNotShadowTheControlDirectory()
    {
        _sandbox.NewRepo("src", ("decoy/status", "FAKE STATUS\n"));
        File.CreateSymbolicLink(_sandbox.PathOf("src/.clive"), "decoy");
        _sandbox.GitOk("src", "add", ".clive");
        _sandbox.GitOk("src", "commit", "-q", "-m", "symlink");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");

        using var mount = new FuseMountFixture(_sandbox, "demo");

        ListRoot(mount);
        AssertRealStatus(mount);
        Assert.False(new FileInfo(mount.PathOf(".clive")).Attributes.HasFlag(FileAttributes.ReparsePoint), ".clive is the committed symlink");
    }
}
