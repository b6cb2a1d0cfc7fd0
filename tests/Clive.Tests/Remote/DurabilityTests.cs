using System.Diagnostics;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// kill -9 of the helper at random points of many pushes: the ref is always either the old or
/// the new value, never anything else; a push git reported done is in the store; fsck is clean.
/// </summary>
public sealed class DurabilityTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private static readonly string Url = GitSandbox.Url("demo");

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void KilledPushes_LeaveRefsOldOrNew_AndStoreClean()
    {
        _sandbox.NewRepo("src", ("a", "start"));
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        var random = new Random(1234);
        var typical = TimedPush(random);
        int killedMidway = 0, completed = 0;

        for (int i = 0; i < 24; i++)
        {
            var old = RemoteMain();
            AddRandomCommit(random, i);
            var @new = _sandbox.RevParse("src", "main");
            var delay = TimeSpan.FromMilliseconds(random.NextDouble() * typical.TotalMilliseconds * 1.2);

            using var git = ProcessRunner.Start("git", ["push", Url, "main"], _sandbox.PathOf("src"), _sandbox.Environment);
            var stderr = git.StandardError.ReadToEndAsync();
            git.StandardInput.Close();
            Thread.Sleep(delay); // not a wait for something: the kill lands at a random point of the push, which is the test
            ProcessTree.KillNamed(git, "git-remote-clive");
            Assert.True(git.WaitForExit(60_000), "git push did not end after its helper was killed");

            var now = RemoteMain();
            Assert.True(now == old || now == @new, $"push {i}: ref is {now}, neither old {old} nor new {@new}");
            if (git.ExitCode == 0)
            {
                Assert.Equal(@new, now);
                completed++;
            }
            else
            {
                killedMidway++;
                // git still has the commit; the next round pushes it again on top.
                if (now == old) _sandbox.GitOk("src", "push", "-q", Url, "main");
            }
        }

        Assert.True(killedMidway > 0, "no push was interrupted: the kill timing covers nothing");
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck after killed pushes");
        _sandbox.GitOk("", "clone", "-q", Url, "copy");
        Assert.Equal(_sandbox.RevParse("src", "main"), _sandbox.RevParse("copy", "main"));
    }

    private TimeSpan TimedPush(Random random)
    {
        AddRandomCommit(random, -1);
        var watch = Stopwatch.StartNew();
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        return watch.Elapsed;
    }

    private void AddRandomCommit(Random random, int i)
    {
        var data = new byte[512 * 1024];
        random.NextBytes(data);
        File.WriteAllBytes(_sandbox.PathOf($"src/blob{i}.bin"), data);
        _sandbox.GitOk("src", "add", ".");
        _sandbox.GitOk("src", "commit", "-q", "-m", $"commit {i}");
    }

    private string RemoteMain() => _sandbox.StoreRef();
}
