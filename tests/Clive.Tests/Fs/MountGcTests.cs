using System.Diagnostics;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>`clive gc` and a mount's pending edits: what an overlay row names is kept until it is committed.</summary>
public sealed class MountGcTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void PendingEdits_KeepTheContentAndCommitTheyName_ThroughAForcePushAndGc()
    {
        _sandbox.NewRepo("src", ("README.md", "hello\n"), ("data.txt", "precious\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        using (var mount = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "30"))
        {
            // A rename of an unchanged file: its row names the blob by id, and the commit it was made on.
            File.Move(mount.PathOf("data.txt"), mount.PathOf("moved.txt"));
            foreach (var pid in mount.DaemonPids()) Process.GetProcessById(pid).Kill();
        }
        // Someone replaces the branch with an unrelated history: no ref reaches the blob or that commit any more.
        _sandbox.NewRepo("other", ("x.txt", "unrelated\n"));
        _sandbox.GitOk("other", "push", "-q", "-f", GitSandbox.Url("demo"), "HEAD:main");
        _sandbox.Clive("gc", "--keep-results", "now").EnsureSuccess("gc");

        using var again = new FuseMountFixture(_sandbox, "demo", "mnt", "--commit-delay", "0.2");
        Poll.Until(() => Pending() == 0, "the mount to commit the edits a killed mount left", 20);

        var fsck = _sandbox.Clive("fsck");
        Assert.True(fsck.ExitCode == 0, "fsck: " + fsck.Output);
        _sandbox.GitOk("", "clone", "-q", "--mirror", GitSandbox.Url("demo"), "mirror.git");
        var commit = _sandbox.GitOk("mirror.git", "log", "--all", "--format=%H", "-1", "--", "moved.txt").Stdout.Trim();
        Assert.Equal("precious\n", _sandbox.GitOk("mirror.git", "show", $"{commit}:moved.txt").Stdout);
    }

    private int Pending()
    {
        using var store = _sandbox.OpenStore();
        return store.Overlay.Load("demo", "refs/heads/main").Count;
    }
}
