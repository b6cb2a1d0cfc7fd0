using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// Two machines, each with its own sshd and store, in network namespaces: a repo moves from one
/// store to the other with plain git over SSH, and each side's rights apply.
/// </summary>
public sealed class TwoHostTests : IDisposable
{
    private readonly GitSandbox _hostA = new();
    private readonly GitSandbox _hostB = new();
    private readonly TwoHosts _network;
    private readonly SshServer _sshB;

    public TwoHostTests()
    {
        _network = new TwoHosts();
        _sshB = new SshServer(_hostB, (_network.NamespaceB, TwoHosts.AddressB), "sshd-b");
        // alice may write on B; her key lives with the client on A.
        var key = _sshB.AddIdentity("alice");
        File.Copy(key, _hostA.PathOf("id_alice"));
        _hostB.Clive("grant", "alice", "write", "demo").EnsureSuccess("grant on B");
        _hostA.Environment["GIT_SSH_COMMAND"] =
            $"ssh -i {_hostA.PathOf("id_alice")} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes";
    }

    public void Dispose()
    {
        _sshB.Dispose();
        _network.Dispose();
        _hostA.Dispose();
        _hostB.Dispose();
    }

    [SkippableFact]
    public void RepoInStoreA_IsPushedFromHostA_IntoStoreB()
    {
        _hostA.NewRepo("work", ("a", "1"), ("b", "2"));
        _hostA.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");          // into A's own store
        _hostA.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "from-a");             // back out of it

        var push = _network.OnA(_hostA.PathOf("from-a"), _hostA.Environment, "git", "push", _sshB.Url("demo"), "main");

        Assert.True(push.ExitCode == 0, push.Stderr);
        using var storeB = _hostB.OpenStore();
        Assert.Equal(_hostA.RevParse("work", "main"), storeB.Refs.Get(storeB.Repos.GetId("demo"), "refs/heads/main")?.ToString());
        Assert.Contains("alice: push", _hostB.Clive("log", "demo").Stdout);
        _hostB.Clive("fsck").EnsureSuccess("fsck on B");

        var clone = _network.OnA(_hostA.Root, _hostA.Environment, "git", "clone", "-q", _sshB.Url("demo"), "from-b");
        Assert.True(clone.ExitCode == 0, clone.Stderr);
        Assert.Equal(_hostA.RevParse("work", "main"), _hostA.RevParse("from-b", "main"));

        var denied = _network.OnA(_hostA.PathOf("from-a"), _hostA.Environment, "git", "push", _sshB.Url("other"), "main");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("lacks the 'write' right on 'other'", denied.Stderr);
    }
}
