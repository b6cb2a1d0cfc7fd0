using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// The SSH-key trust model through a real sshd: identities with different rights, delegation,
/// revocation, and nothing a client sends reaching a shell.
/// </summary>
public sealed class AuthorizationTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private readonly SshServer _ssh;

    public AuthorizationTests()
    {
        _ssh = new SshServer(_sandbox);
        foreach (var name in new[] { "alice", "bob", "carol" }) _ssh.AddIdentity(name);
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main", "main:refs/heads/team/x");
    }

    public void Dispose()
    {
        _ssh.Dispose();
        _sandbox.Dispose();
    }

    private void Grant(params string[] args) => _sandbox.Clive(["grant", .. args]).EnsureSuccess("clive grant");

    private string RemoteMain() => _sandbox.StoreRef();

    [SkippableFact]
    public void WithoutAnyRight_CloneIsDenied_NamingTheRight()
    {
        var clone = _ssh.GitAs("bob", "", "clone", _ssh.Url("demo"), "copy");

        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains("access denied: 'bob' lacks the 'read' right on 'demo'", clone.Stderr);
        Assert.DoesNotContain("   at ", clone.Stderr);
    }

    [SkippableFact]
    public void ReadOnly_CanCloneAndFetch_ButNotPush()
    {
        Grant("bob", "read", "demo");
        _ssh.GitAs("bob", "", "clone", "-q", _ssh.Url("demo"), "copy").EnsureSuccess("clone as reader");
        var before = _sandbox.StoreSnapshot();
        _sandbox.Commit("copy", "b", "from bob");

        var push = _ssh.GitAs("bob", "copy", "push", "origin", "main");

        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("access denied: 'bob' lacks the 'write' right on 'demo'", push.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [SkippableFact]
    public void Write_AllowsFastForward_ButNotRewriteOrDelete()
    {
        Grant("alice", "write", "demo");
        _ssh.GitAs("alice", "", "clone", "-q", _ssh.Url("demo"), "copy").EnsureSuccess("clone");
        _sandbox.Commit("copy", "b", "forward");
        _ssh.GitAs("alice", "copy", "push", "-q", "origin", "main").EnsureSuccess("fast-forward push");
        Assert.Equal(_sandbox.RevParse("copy", "main"), RemoteMain());

        _sandbox.GitOk("copy", "reset", "-q", "--hard", "HEAD~1");
        _sandbox.Commit("copy", "c", "rewrite");
        var force = _ssh.GitAs("alice", "copy", "push", "--force", "origin", "main");
        Assert.NotEqual(0, force.ExitCode);
        Assert.Contains("permission denied: 'alice' lacks the 'force' right on demo:refs/heads/main", force.Stderr);

        var delete = _ssh.GitAs("alice", "copy", "push", "origin", "--delete", "team/x");
        Assert.NotEqual(0, delete.ExitCode);
        Assert.Contains("lacks the 'force' right on demo:refs/heads/team/x", delete.Stderr);
        Assert.Contains("refs/heads/team/x", _sandbox.Clive("refs", "demo").Stdout);

        Grant("alice", "force", "demo");
        _ssh.GitAs("alice", "copy", "push", "-q", "--force", "origin", "main").EnsureSuccess("forced push with the right");
        Assert.Equal(_sandbox.RevParse("copy", "main"), RemoteMain());
    }

    [SkippableFact]
    public void RefPatternRights_LimitWhatIsSeenAndPushed()
    {
        Grant("bob", "write", "demo:refs/heads/team/*");
        _ssh.GitAs("bob", "", "clone", "-q", "-b", "team/x", _ssh.Url("demo"), "copy").EnsureSuccess("clone of the team branch");

        var remote = _ssh.GitAs("bob", "copy", "ls-remote", "origin").EnsureSuccess("ls-remote").Stdout;
        Assert.Contains("refs/heads/team/x", remote);
        Assert.DoesNotContain("refs/heads/main", remote);

        _sandbox.Commit("copy", "t", "team work");
        _ssh.GitAs("bob", "copy", "push", "-q", "origin", "team/x", "team/x:refs/heads/team/y").EnsureSuccess("push in scope");
        var outside = _ssh.GitAs("bob", "copy", "push", "origin", "team/x:refs/heads/elsewhere");
        Assert.NotEqual(0, outside.ExitCode);
        Assert.Contains("lacks the 'write' right on demo:refs/heads/elsewhere", outside.Stderr);
    }

    /// <summary>Entities are refs: writing one over SSH takes the write right on it; a key cannot run clive entity set.</summary>
    [SkippableFact]
    public void EntityVersions_NeedTheWriteRightOnTheirRef_AndEntitySetIsNoKeyCommand()
    {
        using (var store = _sandbox.OpenStore())
        {
            store.EntityTypes.Declare("demo", "counter", Entities.EntityStoreTests.CounterSchema, hasMerge: false, "main@1");
            var ada = new Clive.Git.CommitIdentity("Ada <ada@example.com>", "Ada <ada@example.com>");
            store.Entities.Write("demo", "counter", Clive.Core.Values.ValueJson.ToMessagePack("{\"Count\": 1}", Entities.EntityStoreTests.CounterSchema),
                Clive.Git.ObjectId.Zero, ada, new Clive.Core.Store.Entities.EntityMessage("one"));
        }
        Grant("bob", "read", "demo");
        Grant("bob", "write", "demo:refs/heads/*");
        _ssh.GitAs("bob", "", "clone", "-q", _ssh.Url("demo"), "copy").EnsureSuccess("clone");
        _ssh.GitAs("bob", "copy", "fetch", "-q", "origin", "refs/clive/entities/counter:refs/entity").EnsureSuccess("fetch the entity");
        var next = _sandbox.GitOk("copy", "commit-tree", "refs/entity^{tree}", "-p", "refs/entity", "-m", "bob's version").Stdout.Trim();
        var before = _sandbox.StoreSnapshot();

        foreach (var target in new[] { "refs/clive/entities/counter", "refs/clive/entities/other", "refs/clive/conflicts/entities/counter" })
        {
            var push = _ssh.GitAs("bob", "copy", "push", "origin", $"{next}:{target}");
            Assert.NotEqual(0, push.ExitCode);
            Assert.Contains($"lacks the 'write' right on demo:{target}", push.Stderr);
        }
        var set = _ssh.SshAs("bob", "{\"Count\": 9}"u8.ToArray(), "entity set demo counter");
        Assert.NotEqual(0, set.ExitCode);
        Assert.Contains("'entity' is not something this key may run", set.Stderr);
        Assert.DoesNotContain("   at ", set.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());

        Grant("bob", "write", "demo:refs/clive/entities/*");
        _ssh.GitAs("bob", "copy", "push", "-q", "origin", $"{next}:refs/clive/entities/counter").EnsureSuccess("push with the right");
        using (var store = _sandbox.OpenStore()) Assert.Equal(next, store.Entities.Read("demo", "counter")!.Commit.ToString());
    }

    [SkippableFact]
    public void Delegation_GrantedUsedExceededAndRevoked()
    {
        Grant("alice", "admin", "demo:refs/heads/team/*");

        // alice hands bob write on part of her scope, remotely, through her forced command.
        _ssh.SshAs("alice", "grant", "bob", "write", "demo:refs/heads/team/*").EnsureSuccess("delegated grant");
        _ssh.GitAs("bob", "", "clone", "-q", "-b", "team/x", _ssh.Url("demo"), "copy").EnsureSuccess("bob uses the grant");
        _sandbox.Commit("copy", "t", "bob's work");
        _ssh.GitAs("bob", "copy", "push", "-q", "origin", "team/x").EnsureSuccess("bob pushes in scope");

        // She cannot give what she does not have.
        var wider = _ssh.SshAs("alice", "grant", "bob", "write", "demo");
        Assert.NotEqual(0, wider.ExitCode);
        Assert.Contains("access denied: 'alice' lacks the 'admin' right on demo", wider.Stderr);
        var otherRepo = _ssh.SshAs("alice", "grant", "bob", "read", "other");
        Assert.NotEqual(0, otherRepo.ExitCode);

        // Revoked: bob loses access at once.
        _ssh.SshAs("alice", "revoke", "bob", "write", "demo:refs/heads/team/*").EnsureSuccess("revoke");
        var after = _ssh.GitAs("bob", "copy", "fetch", "origin");
        Assert.NotEqual(0, after.ExitCode);
        Assert.Contains("lacks the 'read' right", after.Stderr);

        var history = _sandbox.Clive("grants", "--all").Stdout;
        Assert.Contains("bob\twrite\tdemo:refs/heads/team/*\tgranted by alice", history);
        Assert.Contains("revoked by alice", history);
    }

    [SkippableFact]
    public void RemovedKey_LosesAccessAtOnce()
    {
        Grant("carol", "read", "demo");
        _ssh.GitAs("carol", "", "ls-remote", _ssh.Url("demo")).EnsureSuccess("ls-remote with the key");

        _sandbox.Clive("keys", "remove", "carol").EnsureSuccess("keys remove");

        var after = _ssh.GitAs("carol", "", "ls-remote", _ssh.Url("demo"));
        Assert.NotEqual(0, after.ExitCode);
    }

    [SkippableFact]
    public void RemovedKey_ReAddedUnderItsName_OldKeyStaysOut()
    {
        Grant("carol", "read", "demo");
        _ssh.GitAs("carol", "", "ls-remote", _ssh.Url("demo")).EnsureSuccess("ls-remote with the first key");
        _sandbox.Clive("keys", "remove", "carol").EnsureSuccess("keys remove");
        // carol gets a new key and her rights back; authorized_keys still has the old key's line.
        var newKey = _sandbox.PathOf("ssh/id_carol-new");
        ProcessRunner.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", newKey], _sandbox.Root, _sandbox.Environment).EnsureSuccess("ssh-keygen");
        _sandbox.Clive("keys", "add", "carol", newKey + ".pub").EnsureSuccess("keys add with the new key");
        Grant("carol", "read", "demo");

        var old = _ssh.GitAs("carol", "", "ls-remote", _ssh.Url("demo"));

        Assert.NotEqual(0, old.ExitCode);
        Assert.Contains("this key no longer belongs to identity 'carol'", old.Stderr);
        Assert.DoesNotContain("refs/heads/main", old.Stdout);
        Assert.DoesNotContain("   at ", old.Stderr);
        _ssh.RefreshAuthorizedKeys();
        _ssh.GitAs("carol-new", "", "ls-remote", _ssh.Url("demo")).EnsureSuccess("ls-remote with the new key, once installed");
    }

    [SkippableFact]
    public void CraftedKeyFile_NeverGetsAShell()
    {
        // The probe's file: a bogus first line, then a real key on a line of its own.
        var key = _sandbox.PathOf("ssh/id_mallory");
        ProcessRunner.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key], _sandbox.Root, _sandbox.Environment).EnsureSuccess("ssh-keygen");
        File.WriteAllText(_sandbox.PathOf("crafted.pub"), "ssh-x\n" + File.ReadAllText(key + ".pub"));
        File.Delete("/tmp/clive-pwned-key");

        var add = _sandbox.Clive("keys", "add", "mallory", _sandbox.PathOf("crafted.pub"));
        _ssh.RefreshAuthorizedKeys();
        var shell = _ssh.SshAs("mallory", "touch /tmp/clive-pwned-key");

        Assert.NotEqual(0, add.ExitCode);
        Assert.StartsWith("fatal: ", add.Stderr);
        Assert.NotEqual(0, shell.ExitCode);
        Assert.False(File.Exists("/tmp/clive-pwned-key"), "the crafted key ran a shell command");
        Assert.All(File.ReadAllLines(_sandbox.PathOf("ssh/authorized_keys")), line => Assert.StartsWith("command=\"", line));
    }

    [SkippableFact]
    public void HugeRepoName_OverSsh_IsOneLineError()
    {
        Grant("alice", "read", "*");
        var name = new string('a', 100_000);

        // Plain git over ssh reaches the far side's name check (clive's helper checks it before connecting).
        var git = _ssh.GitAs("alice", "", "ls-remote", $"ssh://{Environment.UserName}@127.0.0.1:{_ssh.Port}/{name}");
        var raw = _ssh.SshAs("alice", "git-upload-pack", name);

        Assert.NotEqual(0, git.ExitCode);
        Assert.Contains("invalid repository name", git.Stderr);
        Assert.DoesNotContain("   at ", git.Stderr + raw.Stderr);
        Assert.All(git.Stderr.Split('\n'), line => Assert.True(line.Length < 400, $"a line of {line.Length} characters"));
        Assert.Contains("invalid repository name", raw.Stdout);
    }

    [SkippableFact]
    public void WriteOnANewRepoName_CreatesItByPushing_AndTheReflogNamesThePusher()
    {
        Grant("alice", "write", "fresh");

        _ssh.GitAs("alice", "src", "push", "-q", _ssh.Url("fresh"), "main").EnsureSuccess("push creating a repo");

        Assert.Contains("fresh", _sandbox.Clive("repo", "list").Stdout);
        Assert.Contains("alice: push", _sandbox.Clive("log", "fresh").Stdout);
        var elsewhere = _ssh.GitAs("alice", "src", "push", _ssh.Url("not-granted"), "main");
        Assert.NotEqual(0, elsewhere.ExitCode);
        Assert.DoesNotContain("not-granted", _sandbox.Clive("repo", "list").Stdout);
    }

    [SkippableTheory]
    [InlineData("git-upload-pack 'demo; touch /tmp/clive-pwned'")]
    [InlineData("git-upload-pack \"$(touch /tmp/clive-pwned)\"")]
    [InlineData("git-upload-pack `touch /tmp/clive-pwned`")]
    [InlineData("grant bob admin '*' && touch /tmp/clive-pwned")]
    [InlineData("sh -c 'touch /tmp/clive-pwned'")]
    [InlineData("touch /tmp/clive-pwned")]
    public void HostileCommands_NeverReachAShell(string command)
    {
        Grant("alice", "admin", "demo");
        File.Delete("/tmp/clive-pwned");

        var result = _ssh.SshAs("alice", command);

        Assert.NotEqual(0, result.ExitCode);
        Assert.False(File.Exists("/tmp/clive-pwned"), $"'{command}' ran a shell");
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [SkippableFact]
    public void AuthorizedKeysLines_ForceTheServeCommandAndRestrict()
    {
        var lines = _sandbox.Clive("keys", "authorized-keys").EnsureSuccess("authorized-keys").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
        Assert.All(lines, line =>
        {
            Assert.StartsWith($"command=\"{Binaries.Clive} serve --identity ", line);
            Assert.Matches(" --key SHA256:[A-Za-z0-9+/]{43} ", line);
            Assert.Contains($" --store {_sandbox.StoreDirectory}\",restrict ssh-ed25519 ", line);
        });
    }

    [SkippableFact]
    public void KilledConnectionMidPush_LeavesRefsOld_AndStoreClean()
    {
        Grant("alice", "write", "demo");
        var data = new byte[48 << 20];
        new Random(7).NextBytes(data);
        File.WriteAllBytes(_sandbox.PathOf("src/big.bin"), data);
        _sandbox.GitOk("src", "add", "big.bin");
        _sandbox.GitOk("src", "commit", "-q", "-m", "big");
        var old = RemoteMain();

        using var git = ProcessRunner.Start("git", ["push", _ssh.Url("demo"), "main"], _sandbox.PathOf("src"), _ssh.EnvironmentFor("alice"));
        git.StandardInput.Close();
        var stderr = git.StandardError.ReadToEndAsync();
        // Cut the connection once the far side is receiving the pack (a few MiB of its 48 read): the
        // client's ssh dies mid-transfer.
        // This test's server side is found by its store (other tests' sessions also serve alice).
        var server = "--store " + _sandbox.StoreDirectory;
        Assert.True(ProcessTree.WaitForBytesRead(server, 4 << 20, TimeSpan.FromSeconds(60)), "the server side never received the pack");
        ProcessTree.KillNamed(git, "ssh ");
        Assert.True(git.WaitForExit(30_000));

        Assert.NotEqual(0, git.ExitCode);
        Assert.True(ProcessTree.WaitForNone(server, TimeSpan.FromSeconds(20)), "the server side did not end: " + string.Join("; ", ProcessTree.Find(server).Select(p => p.Command)));
        Assert.Equal(old, RemoteMain());
        _sandbox.Clive("fsck").EnsureSuccess("fsck after a dropped connection");
        _ssh.GitAs("alice", "src", "push", "-q", _ssh.Url("demo"), "main").EnsureSuccess("the same push, uninterrupted");
        Assert.Equal(_sandbox.RevParse("src", "main"), RemoteMain());
    }
}
