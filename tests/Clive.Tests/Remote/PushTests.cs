using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// git push through git-remote-clive: every way git pushes to an ordinary remote, against the
/// local store and over SSH (the subclasses at the end).
/// </summary>
public abstract class PushTests : IDisposable
{
    protected readonly GitSandbox _sandbox = new();

    protected virtual string Url => GitSandbox.Url("demo");

    /// <summary>Who the reflog records for a push over this transport.</summary>
    protected virtual string Pusher => $"local:{Environment.UserName}";

    public virtual void Dispose() => _sandbox.Dispose();

    private string RemoteRef(string name)
    {
        var line = _sandbox.GitOk("", "ls-remote", Url, name).Stdout.Split('\n')[0];
        return line.Length == 0 ? "" : line.Split('\t')[0];
    }

    [SkippableFact]
    public void Push_CreatesUpdatesAndDeletesBranches()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        var create = _sandbox.GitOk("src", "push", Url, "main", "main:refs/heads/second");
        Assert.Contains("* [new branch]      main -> main", create.Stderr);

        _sandbox.Commit("src", "a", "2");
        var update = _sandbox.GitOk("src", "push", Url, "main");
        Assert.Matches(@"[0-9a-f]+\.\.[0-9a-f]+\s+main -> main", update.Stderr);
        Assert.Equal(_sandbox.RevParse("src", "main"), RemoteRef("refs/heads/main"));

        var delete = _sandbox.GitOk("src", "push", Url, "--delete", "second");
        Assert.Contains("[deleted]", delete.Stderr);
        Assert.Equal("", RemoteRef("refs/heads/second"));
    }

    [SkippableFact]
    public void Push_NonFastForward_IsRejectedWithGitsMessage_AndRefUnchanged()
    {
        _sandbox.NewRepo("src", ("a", "1"), ("a", "2"));
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        var pushed = _sandbox.RevParse("src", "main");
        _sandbox.GitOk("src", "reset", "-q", "--hard", "HEAD~1");
        _sandbox.Commit("src", "b", "diverged");

        var push = _sandbox.Git("src", "push", Url, "main");

        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("! [rejected]        main -> main (non-fast-forward)", push.Stderr);
        Assert.Equal(pushed, RemoteRef("refs/heads/main"));
    }

    [SkippableFact]
    public void Push_Force_ReplacesDivergedHistory()
    {
        _sandbox.NewRepo("src", ("a", "1"), ("a", "2"));
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        _sandbox.GitOk("src", "reset", "-q", "--hard", "HEAD~1");
        _sandbox.Commit("src", "b", "diverged");

        var push = _sandbox.GitOk("src", "push", "--force", Url, "main");

        Assert.Contains("(forced update)", push.Stderr);
        Assert.Equal(_sandbox.RevParse("src", "main"), RemoteRef("refs/heads/main"));
    }

    [SkippableFact]
    public void Push_ForceWithStaleLease_IsRejected()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        var leased = _sandbox.RevParse("src", "main");
        _sandbox.GitOk("", "clone", "-q", Url, "other");
        _sandbox.Commit("other", "o", "someone else");
        _sandbox.GitOk("other", "push", "-q", "origin", "main");
        _sandbox.Commit("src", "a", "mine");

        var stale = _sandbox.Git("src", "push", $"--force-with-lease=main:{leased}", Url, "main");

        Assert.NotEqual(0, stale.ExitCode);
        Assert.Contains("(stale info)", stale.Stderr);
        Assert.Equal(_sandbox.RevParse("other", "main"), RemoteRef("refs/heads/main"));

        var current = _sandbox.RevParse("other", "main");
        _sandbox.GitOk("src", "push", $"--force-with-lease=main:{current}", Url, "main");
        Assert.Equal(_sandbox.RevParse("src", "main"), RemoteRef("refs/heads/main"));
    }

    [SkippableFact]
    public void Push_Atomic_AppliesAllOrNone()
    {
        _sandbox.NewRepo("src", ("a", "1"), ("a", "2"));
        _sandbox.GitOk("src", "push", "-q", Url, "main", "main:refs/heads/b");
        var before = _sandbox.RevParse("src", "main");
        // Make "b" on the remote move so that our push to it is a non-fast-forward.
        _sandbox.GitOk("", "clone", "-q", "-b", "b", Url, "other");
        _sandbox.Commit("other", "x", "x");
        _sandbox.GitOk("other", "push", "-q", "origin", "b");
        _sandbox.Commit("src", "a", "3");
        _sandbox.GitOk("src", "fetch", "-q", Url, "b:refs/remotes/r/b");

        var push = _sandbox.Git("src", "push", "--atomic", Url, "main", "main:b");

        Assert.NotEqual(0, push.ExitCode);
        Assert.Equal(before, RemoteRef("refs/heads/main"));
        Assert.Equal(_sandbox.RevParse("other", "b"), RemoteRef("refs/heads/b"));

        _sandbox.Commit("src", "c", "4");
        _sandbox.GitOk("src", "push", "--atomic", Url, "main", "main:refs/heads/c");
        Assert.Equal(_sandbox.RevParse("src", "main"), RemoteRef("refs/heads/main"));
        Assert.Equal(_sandbox.RevParse("src", "main"), RemoteRef("refs/heads/c"));
    }

    [SkippableFact]
    public void Push_WithPushOptions_IsAccepted()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", "-o", "ci.skip", "-o", "reviewer=ada", Url, "main");
        Assert.Equal(_sandbox.RevParse("src", "main"), RemoteRef("refs/heads/main"));
    }

    [SkippableFact]
    public void Push_WithNothingNew_SaysEverythingUpToDate()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        var events = _sandbox.Clive("events").Stdout;

        var again = _sandbox.GitOk("src", "push", Url, "main");

        Assert.Contains("Everything up-to-date", again.Stderr);
        Assert.Equal(events, _sandbox.Clive("events").Stdout);
    }

    [SkippableFact]
    public void Push_MergesExecBitsSymlinksNonAsciiAndEmptyFiles_RoundTripExactly()
    {
        _sandbox.NewRepo("src", ("base.txt", "base\n"));
        _sandbox.GitOk("src", "checkout", "-q", "-b", "side");
        _sandbox.Commit("src", "side.txt", "side\n");
        _sandbox.GitOk("src", "checkout", "-q", "main");
        _sandbox.Commit("src", "main.txt", "main\n");
        _sandbox.GitOk("src", "merge", "-q", "--no-edit", "side");
        var root = _sandbox.PathOf("src");
        File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(root, "run.sh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.CreateSymbolicLink(Path.Combine(root, "link"), "base.txt");
        File.WriteAllText(Path.Combine(root, "ünïcödé 文件.txt"), "non-ascii\n");
        File.WriteAllText(Path.Combine(root, "empty"), "");
        _sandbox.GitOk("src", "add", ".");
        _sandbox.GitOk("src", "commit", "-q", "-m", "modes");
        _sandbox.GitOk("src", "push", "-q", Url, "main");

        _sandbox.GitOk("", "clone", "-q", Url, "copy");

        Assert.Equal(_sandbox.RevParse("src", "HEAD"), _sandbox.RevParse("copy", "HEAD"));
        Assert.Equal(2, _sandbox.GitOk("copy", "log", "-1", "--format=%P", "HEAD~1").Stdout.Trim().Split(' ').Length);
        Assert.Equal(_sandbox.GitOk("src", "ls-tree", "-r", "HEAD").Stdout, _sandbox.GitOk("copy", "ls-tree", "-r", "HEAD").Stdout);
        var copy = _sandbox.PathOf("copy");
        Assert.True(File.GetUnixFileMode(Path.Combine(copy, "run.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("base.txt", new FileInfo(Path.Combine(copy, "link")).LinkTarget);
        Assert.Equal("non-ascii\n", File.ReadAllText(Path.Combine(copy, "ünïcödé 文件.txt")));
        Assert.Equal(0, new FileInfo(Path.Combine(copy, "empty")).Length);
    }

    [SkippableFact]
    public void Push_ThousandsOfRefs_AllArriveAndListBack()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        var head = _sandbox.RevParse("src", "HEAD");
        var refs = string.Concat(Enumerable.Range(0, 3000).Select(i => $"create refs/heads/b{i:D4} {head}\n"));
        ProcessRunner.Run("git", ["update-ref", "--stdin"], _sandbox.PathOf("src"), _sandbox.Environment, System.Text.Encoding.UTF8.GetBytes(refs))
            .EnsureSuccess("update-ref");

        _sandbox.GitOk("src", "push", "-q", Url, "refs/heads/*:refs/heads/*");

        var listed = _sandbox.GitOk("", "ls-remote", "--heads", Url).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3001, listed.Length);
        _sandbox.GitOk("", "clone", "-q", Url, "copy");
        Assert.Equal(3001, _sandbox.GitOk("copy", "branch", "-r").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
    }

    [SkippableFact]
    public void Push_HundredMegabyteFile_RoundTrips()
    {
        _sandbox.NewRepo("src");
        var big = _sandbox.PathOf("src/big.bin");
        using (var file = File.Create(big))
        {
            var random = new Random(42);
            var block = new byte[1 << 20];
            for (int i = 0; i < 100; i++)
            {
                random.NextBytes(block);
                file.Write(block);
            }
        }
        _sandbox.GitOk("src", "add", "big.bin");
        _sandbox.GitOk("src", "commit", "-q", "-m", "big");
        _sandbox.GitOk("src", "push", "-q", Url, "main");

        _sandbox.GitOk("", "clone", "-q", Url, "copy");

        Assert.Equal(_sandbox.GitOk("src", "rev-parse", "HEAD:big.bin").Stdout, _sandbox.GitOk("copy", "hash-object", "big.bin").Stdout);
        Assert.Equal(100L << 20, new FileInfo(_sandbox.PathOf("copy/big.bin")).Length);
    }

    [SkippableFact]
    public void Push_RecordsReflogAndEvents()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        var first = _sandbox.RevParse("src", "main");
        _sandbox.Commit("src", "a", "2");
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        var second = _sandbox.RevParse("src", "main");

        var log = _sandbox.Clive("log", "demo", "main").EnsureSuccess("clive log").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(2, log.Length);
        Assert.Contains($"{first[..7]}..{second[..7]} refs/heads/main", log[0]);
        Assert.Contains("push", log[0]);
        // The first push made the repo: its HEAD (1) and main (2); the second moved main (3).
        var events = _sandbox.Clive("events", "--since", "2").Stdout.Trim();
        Assert.Equal($"3 demo refs/heads/main {first} {second} {Pusher} push", events);
    }
}

public sealed class LocalPushTests : PushTests;

public sealed class SshPushTests : PushTests
{
    private readonly SshServer _ssh;

    public SshPushTests()
    {
        _ssh = SshServer.ForOwner(_sandbox);
    }

    protected override string Url => _ssh.Url("demo");

    protected override string Pusher => "owner";

    public override void Dispose()
    {
        _ssh.Dispose();
        base.Dispose();
    }
}
