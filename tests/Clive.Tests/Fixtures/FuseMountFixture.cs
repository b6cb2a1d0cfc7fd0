using Xunit;

namespace Clive.Tests.Fixtures;

/// <summary>
/// A real clive-fs mount of a sandbox repo, started as a user starts it (in the background) and
/// unmounted with fusermount3 on dispose. Skipped, not passed, where FUSE is missing.
/// </summary>
public sealed class FuseMountFixture : IDisposable
{
    private readonly GitSandbox _sandbox;

    public static bool Available => File.Exists("/dev/fuse") && File.Exists("/usr/bin/fusermount3");

    public FuseMountFixture(GitSandbox sandbox, string target, string name = "mnt", params string[] options)
    {
        Skip.IfNot(Available, "FUSE is not available (/dev/fuse, apt-get install fuse3)");
        _sandbox = sandbox;
        Path = sandbox.PathOf(name);
        Directory.CreateDirectory(Path);
        Result = sandbox.CliveFs([.. options, target, Path]);
        Result.EnsureSuccess("clive-fs " + target);
    }

    public string Path { get; }
    public ProcessResult Result { get; }

    public string PathOf(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>The background daemon serving this mount (for tests that kill it).</summary>
    public IEnumerable<int> DaemonPids() => ProcessTree.Find("clive-fs -f").Where(p => p.Command.Contains(Path)).Select(p => p.Pid);

    public void Dispose()
    {
        ProcessRunner.Run("fusermount3", ["-u", "-z", Path], _sandbox.Root, _sandbox.Environment);
        // The daemon exits once unmounted; wait so the sandbox can be deleted under it.
        ProcessTree.WaitForNone("clive-fs -f " + Path.Split('/')[^1], TimeSpan.FromSeconds(10));
    }
}
