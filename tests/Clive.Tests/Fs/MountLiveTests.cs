using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>A mount follows its ref: what others push appears at once, without remounting.</summary>
public sealed class MountLiveTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountLiveTests()
    {
        _sandbox.NewRepo("src", ("README.md", "first\n"), ("dir/keep.txt", "keep\n"), ("dir/doomed.txt", "doomed\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void PushWhileMounted_ShowsTheNewTree_AndOpenFilesKeepTheirContent()
    {
        using var mount = new FuseMountFixture(_sandbox, "demo");
        Assert.Equal("first\n", File.ReadAllText(mount.PathOf("README.md")));
        Assert.True(File.Exists(mount.PathOf("dir/doomed.txt")));
        var keepInode = Inode(mount.PathOf("dir/keep.txt"));
        using var open = new FileStream(mount.PathOf("README.md"), FileMode.Open, FileAccess.Read);

        File.WriteAllText(_sandbox.PathOf("src/README.md"), "second, and longer\n");
        File.Delete(_sandbox.PathOf("src/dir/doomed.txt"));
        File.WriteAllText(_sandbox.PathOf("src/dir/new.txt"), "new\n");
        _sandbox.GitOk("src", "add", "-A");
        _sandbox.GitOk("src", "commit", "-q", "-m", "change");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");

        Poll.Until(() => File.Exists(mount.PathOf("dir/new.txt")), "the pushed file to appear", 10);
        // A new name is found by the new tree an instant before the kernel has dropped the old
        // README.md (invalidations follow the move, from their own thread): allow that instant.
        Poll.Until(() => File.ReadAllText(mount.PathOf("README.md")) == "second, and longer\n" && !File.Exists(mount.PathOf("dir/doomed.txt")),
            "the kernel to drop the old README.md and dir/doomed.txt", 10);
        Assert.Equal("second, and longer\n", File.ReadAllText(mount.PathOf("README.md")));
        Assert.Equal("second, and longer\n".Length, new FileInfo(mount.PathOf("README.md")).Length);
        Assert.False(File.Exists(mount.PathOf("dir/doomed.txt")));
        Assert.DoesNotContain("doomed.txt", Directory.GetFiles(mount.PathOf("dir")).Select(Path.GetFileName));
        Assert.Equal(keepInode, Inode(mount.PathOf("dir/keep.txt")));

        using var reader = new StreamReader(open);
        Assert.Equal("first\n", reader.ReadToEnd());
    }

    private static string Inode(string path)
        => ProcessRunner.Run("stat", ["-c", "%i", path], "/", new Dictionary<string, string>()).Stdout.Trim();
}
