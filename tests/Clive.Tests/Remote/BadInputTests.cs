using System.Text;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>Hostile or broken input: one clear line, a non-zero exit, and the store exactly as before.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public BadInputTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    [Theory]
    [InlineData("..")]
    [InlineData("../escape")]
    [InlineData("a/../../b")]
    [InlineData(".hidden")]
    [InlineData("semi;colon")]
    [InlineData("$(touch pwned)")]
    [InlineData("back`tick`")]
    [InlineData("tab\tname")]
    [InlineData("new\nline")]
    public void HostileRepoName_IsRefused_ForPushAndFetch(string name)
    {
        var before = _sandbox.StoreSnapshot();

        var push = _sandbox.Git("src", "push", "clive::local/" + name, "main");
        var clone = _sandbox.Git("", "clone", "clive::local/" + name, "copy");

        Assert.NotEqual(0, push.ExitCode);
        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains("invalid repository name", push.Stderr + clone.Stderr);
        Assert.DoesNotContain("   at ", push.Stderr + clone.Stderr);
        Assert.False(File.Exists(_sandbox.PathOf("pwned")));
        Assert.False(File.Exists(_sandbox.PathOf("src/pwned")));
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void HugeRepoName_IsOneShortLine_NotAStackTrace()
    {
        var name = new string('a', 100_000);
        var before = _sandbox.StoreSnapshot();

        var lsRemote = _sandbox.Git("", "ls-remote", "clive::local/" + name);
        var serve = _sandbox.Clive("serve", "git-upload-pack", name);
        var log = _sandbox.Clive("log", name);

        foreach (var result in new[] { lsRemote, serve, log })
        {
            Assert.NotEqual(0, result.ExitCode);
            Assert.DoesNotContain("   at ", result.Stderr);
            Assert.Contains("invalid repository name", result.Output);
            Assert.All(result.Output.Split('\n'), line => Assert.True(line.Length < 400, $"a line of {line.Length} characters"));
        }
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void MalformedHelperCommand_IsOneLineError()
    {
        var result = ProcessRunner.Run("git-remote-clive", ["origin", "local/demo"], _sandbox.Root, _sandbox.Environment,
            Encoding.UTF8.GetBytes("frobnicate\n"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("fatal: unknown remote helper command 'frobnicate'", result.Stderr.Trim());
    }

    [Fact]
    public void UnreachableSshHost_FailsWithSshsOwnMessage()
    {
        var result = _sandbox.Git("", "clone", "clive::nowhere.invalid/demo", "copy");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("nowhere.invalid", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("clive::host:notaport/demo", "the port after ':' must be a number")]
    [InlineData("clive::-oProxyCommand=touch/demo", "is not a valid SSH destination")]
    [InlineData("clive::local/", "is not a clive address")]
    public void MalformedAddress_IsOneLineError(string url, string message)
    {
        var result = _sandbox.Git("", "ls-remote", url);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void CorruptPack_IsRejected_AndStoreUnchanged()
    {
        var before = _sandbox.StoreSnapshot();
        var pack = PackOfNewCommit();
        pack[pack.Length / 2] ^= 0xFF;

        var result = PushRaw(pack);

        Assert.Contains("unpack ", result.Stdout);
        Assert.DoesNotContain("unpack ok", result.Stdout);
        Assert.Contains("ng refs/heads/main", result.Stdout);
        Assert.Equal(before, _sandbox.StoreSnapshot());
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    [Fact]
    public void TruncatedPack_IsRejected_AndStoreUnchanged()
    {
        var before = _sandbox.StoreSnapshot();
        var pack = PackOfNewCommit();

        var result = PushRaw(pack[..(pack.Length - 30)]);

        Assert.Contains("unpack pack is truncated", result.Stdout);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void PackWithBadTreeEntryName_IsRejected()
    {
        var before = _sandbox.StoreSnapshot();
        // A tree holding an entry named ".git": fsck refuses it, and so must we.
        var blob = _sandbox.GitOk("src", "hash-object", "-w", "--stdin").Stdout.Trim();
        var treeInput = $"100644 blob {blob}\t.git\n";
        var tree = ProcessRunner.Run("git", ["mktree"], _sandbox.PathOf("src"), _sandbox.Environment, Encoding.UTF8.GetBytes(treeInput))
            .EnsureSuccess("mktree").Stdout.Trim();
        var commit = _sandbox.GitOk("src", "commit-tree", tree, "-p", "HEAD", "-m", "evil").Stdout.Trim();

        var push = _sandbox.Git("src", "push", GitSandbox.Url("demo"), $"{commit}:refs/heads/main");

        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains(".git", push.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void PushOfMissingObjects_IsRejected()
    {
        var before = _sandbox.StoreSnapshot();
        var old = _sandbox.RevParse("src", "HEAD");
        var bogus = "1234567890123456789012345678901234567890";
        // An empty pack that claims to move main to an object nobody has.
        var input = Pkt($"{old} {bogus} refs/heads/main\0report-status") + "0000";
        var emptyPack = EmptyPack();

        var result = ServeReceivePack([.. Encoding.ASCII.GetBytes(input), .. emptyPack]);

        Assert.Contains("ng refs/heads/main missing necessary objects", result.Stdout);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    private byte[] PackOfNewCommit()
    {
        _sandbox.Commit("src", "b", "new content that is long enough to compress " + new string('z', 500));
        return ProcessRunner.Run("git", ["pack-objects", "--stdout", "--revs"], _sandbox.PathOf("src"), _sandbox.Environment,
            Encoding.ASCII.GetBytes("HEAD\n^HEAD~1\n")).EnsureSuccess("pack-objects").StdoutBytes;
    }

    private ProcessResult PushRaw(byte[] pack)
    {
        var old = _sandbox.RevParse("src", "HEAD~1");
        var @new = _sandbox.RevParse("src", "HEAD");
        var commands = Pkt($"{old} {@new} refs/heads/main\0report-status") + "0000";
        return ServeReceivePack([.. Encoding.ASCII.GetBytes(commands), .. pack]);
    }

    private ProcessResult ServeReceivePack(byte[] input)
        => ProcessRunner.Run(Binaries.Clive, ["serve", "git-receive-pack", "demo"],
            _sandbox.Root, _sandbox.Environment, input);

    private static string Pkt(string line) => $"{line.Length + 5:x4}{line}\n";

    private static byte[] EmptyPack()
    {
        var header = new byte[] { (byte)'P', (byte)'A', (byte)'C', (byte)'K', 0, 0, 0, 2, 0, 0, 0, 0 };
        return [.. header, .. System.Security.Cryptography.SHA1.HashData(header)];
    }
}
