using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>How the helper finds ssh and the remote command: git's own rules, and clive's overrides.</summary>
public sealed class SshOptionsTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private readonly SshServer _ssh;

    public SshOptionsTests()
    {
        _ssh = new SshServer(_sandbox);
        _ssh.AddIdentity("alice");
        _sandbox.Clive("grant", "alice", "admin", "*").EnsureSuccess("grant");
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose()
    {
        _ssh.Dispose();
        _sandbox.Dispose();
    }

    [SkippableFact]
    public void CoreSshCommand_IsUsed_WhenNoEnvironmentVariable()
    {
        _sandbox.GitOk("src", "config", "core.sshCommand", _ssh.SshCommand("alice"));

        var remote = _sandbox.GitOk("src", "ls-remote", _ssh.Url("demo")).Stdout;

        Assert.Contains(_sandbox.RevParse("src", "main") + "\trefs/heads/main", remote);
    }

    [SkippableFact]
    public void SshConfigAlias_Works_AsTheHost()
    {
        var config = _ssh.ConfigWithAlias("buildhost", "alice");
        _sandbox.Environment["GIT_SSH_COMMAND"] = $"ssh -F {config}";

        _sandbox.GitOk("", "clone", "-q", "clive::buildhost/demo", "copy");

        Assert.Equal(_sandbox.RevParse("src", "main"), _sandbox.RevParse("copy", "main"));
    }

    [SkippableFact]
    public void RemoteCommand_CanBeReplaced_ByEnvironmentOrGitConfig()
    {
        // The owner's own key logs in without a forced command, so the remote command runs as given.
        _ssh.AddOwnerKey("owner");
        var clive = Binaries.Clive;
        _sandbox.Environment["GIT_SSH_COMMAND"] = _ssh.SshCommand("owner");

        var withoutOverride = _sandbox.Git("", "ls-remote", _ssh.Url("demo"));
        Assert.NotEqual(0, withoutOverride.ExitCode); // plain `clive` is not on the far side's PATH, nor its store

        _sandbox.Environment["CLIVE_REMOTE_COMMAND"] = $"{clive} --store {_sandbox.StoreDirectory}";
        Assert.Contains("refs/heads/main", _sandbox.GitOk("", "ls-remote", _ssh.Url("demo")).Stdout);
        _sandbox.Environment.Remove("CLIVE_REMOTE_COMMAND");

        _sandbox.GitOk("", "clone", "-q", "--config", $"remote.origin.cliveCommand={clive} --store {_sandbox.StoreDirectory}",
            _ssh.Url("demo"), "copy");
        _sandbox.Commit("copy", "b", "by the owner over ssh");
        _sandbox.GitOk("copy", "push", "-q", "origin", "main");
        Assert.Contains("local:", _sandbox.Clive("log", "demo", "main", "-n", "1").Stdout);
    }
}
