using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// git clone, fetch and ls-remote through git-remote-clive, driven with the real git; the same
/// scenarios run against the local store and over SSH (the subclasses at the end).
/// </summary>
public abstract class CloneAndFetchTests : IDisposable
{
    protected readonly GitSandbox _sandbox = new();

    protected virtual string Url(string repo) => GitSandbox.Url(repo);

    public virtual void Dispose() => _sandbox.Dispose();

    protected string PushedRepo(string name = "src")
    {
        _sandbox.NewRepo(name, ("a.txt", "one\n"), ("dir/b.txt", "two\n"), ("a.txt", "three\n"));
        _sandbox.GitOk(name, "push", "-q", Url("demo"), "main");
        return name;
    }

    [SkippableFact]
    public void Clone_ChecksOutHeadsBranch_WithSameHistory()
    {
        PushedRepo();
        _sandbox.GitOk("", "clone", "-q", Url("demo"), "copy");

        Assert.Equal(_sandbox.RevParse("src", "HEAD"), _sandbox.RevParse("copy", "HEAD"));
        Assert.Equal("main", _sandbox.GitOk("copy", "symbolic-ref", "--short", "HEAD").Stdout.Trim());
        Assert.Equal("three\n", File.ReadAllText(_sandbox.PathOf("copy/a.txt")));
        _sandbox.GitOk("copy", "fsck", "--strict");
    }

    [SkippableFact]
    public void Clone_OfRepoWhoseHeadIsNotMain_ChecksOutThatBranch()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "branch", "-m", "trunk");
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "trunk");

        _sandbox.GitOk("", "clone", "-q", Url("demo"), "copy");

        Assert.Equal("trunk", _sandbox.GitOk("copy", "symbolic-ref", "--short", "HEAD").Stdout.Trim());
    }

    [SkippableFact]
    public void LsRemote_ListsHeadBranchesAndPeeledTags()
    {
        PushedRepo();
        _sandbox.GitOk("src", "tag", "-a", "v1", "-m", "release");
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "v1");
        var head = _sandbox.RevParse("src", "HEAD");
        var tag = _sandbox.RevParse("src", "v1");

        var lines = _sandbox.GitOk("src", "ls-remote", Url("demo")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains($"{head}\tHEAD", lines);
        Assert.Contains($"{head}\trefs/heads/main", lines);
        Assert.Contains($"{tag}\trefs/tags/v1", lines);
        Assert.Contains($"{head}\trefs/tags/v1^{{}}", lines);
    }

    [SkippableFact]
    public void Fetch_BringsNewCommits_Incrementally()
    {
        PushedRepo();
        _sandbox.GitOk("", "clone", "-q", Url("demo"), "copy");
        _sandbox.Commit("src", "c.txt", "new\n");
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "main");

        var fetch = _sandbox.GitOk("copy", "fetch", "origin");

        Assert.Equal(_sandbox.RevParse("src", "HEAD"), _sandbox.RevParse("copy", "origin/main"));
        Assert.Contains("main", fetch.Stderr);
        _sandbox.GitOk("copy", "fsck", "--strict");
    }

    [SkippableFact]
    public void Fetch_WithExplicitRefspec_UpdatesOnlyThatRef()
    {
        PushedRepo();
        _sandbox.GitOk("src", "checkout", "-q", "-b", "topic");
        _sandbox.Commit("src", "t.txt", "topic\n");
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "topic");
        _sandbox.NewRepo("other");

        _sandbox.GitOk("other", "fetch", "-q", Url("demo"), "refs/heads/topic:refs/remotes/x/topic");

        Assert.Equal(_sandbox.RevParse("src", "topic"), _sandbox.RevParse("other", "refs/remotes/x/topic"));
        Assert.NotEqual(0, _sandbox.Git("other", "rev-parse", "--verify", "-q", "refs/remotes/x/main").ExitCode);
    }

    [SkippableFact]
    public void Fetch_WithPrune_RemovesBranchesDeletedRemotely()
    {
        PushedRepo();
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "main:refs/heads/doomed");
        _sandbox.GitOk("", "clone", "-q", Url("demo"), "copy");
        Assert.Equal(0, _sandbox.Git("copy", "rev-parse", "--verify", "-q", "origin/doomed").ExitCode);

        _sandbox.GitOk("src", "push", "-q", Url("demo"), ":doomed");
        var fetch = _sandbox.GitOk("copy", "fetch", "--prune");

        Assert.Contains("[deleted]", fetch.Stderr);
        Assert.NotEqual(0, _sandbox.Git("copy", "rev-parse", "--verify", "-q", "origin/doomed").ExitCode);
    }

    [SkippableFact]
    public void Tags_LightweightAndAnnotated_RoundTrip()
    {
        PushedRepo();
        _sandbox.GitOk("src", "tag", "light");
        _sandbox.GitOk("src", "tag", "-a", "heavy", "-m", "an annotated tag");
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "--tags");

        _sandbox.GitOk("", "clone", "-q", Url("demo"), "copy");

        Assert.Equal("commit", _sandbox.GitOk("copy", "cat-file", "-t", "light").Stdout.Trim());
        Assert.Equal("tag", _sandbox.GitOk("copy", "cat-file", "-t", "heavy").Stdout.Trim());
        Assert.Equal(_sandbox.RevParse("src", "heavy"), _sandbox.RevParse("copy", "heavy"));
    }

    [SkippableFact]
    public void Fetch_FollowsNewAnnotatedTagsOnFetchedCommits()
    {
        PushedRepo();
        _sandbox.GitOk("", "clone", "-q", Url("demo"), "copy");
        _sandbox.Commit("src", "n.txt", "n");
        _sandbox.GitOk("src", "tag", "-a", "v2", "-m", "v2");
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "main", "v2");

        _sandbox.GitOk("copy", "fetch", "-q");

        Assert.Equal(_sandbox.RevParse("src", "v2"), _sandbox.RevParse("copy", "v2"));
    }

    [SkippableFact]
    public void ShallowClone_DepthOne_HasOneCommitAndCorrectTree()
    {
        PushedRepo();
        _sandbox.GitOk("", "clone", "-q", "--depth", "1", Url("demo"), "shallow");

        Assert.Equal("1", _sandbox.GitOk("shallow", "rev-list", "--count", "HEAD").Stdout.Trim());
        Assert.Equal("true", _sandbox.GitOk("shallow", "rev-parse", "--is-shallow-repository").Stdout.Trim());
        Assert.Equal("three\n", File.ReadAllText(_sandbox.PathOf("shallow/a.txt")));
        _sandbox.GitOk("shallow", "fsck");

        _sandbox.GitOk("shallow", "fetch", "-q", "--unshallow");
        Assert.Equal("3", _sandbox.GitOk("shallow", "rev-list", "--count", "HEAD").Stdout.Trim());
    }

    [SkippableFact]
    public void ShallowClone_Deepens_AndAPartialCloneFetchesItsBlobsOnCheckout()
    {
        PushedRepo();
        _sandbox.GitOk("", "clone", "-q", "--depth", "1", Url("demo"), "shallow");
        _sandbox.GitOk("shallow", "fetch", "-q", "--deepen=1");
        Assert.Equal("2", _sandbox.GitOk("shallow", "rev-list", "--count", "HEAD").Stdout.Trim());

        _sandbox.GitOk("", "clone", "-q", "--no-checkout", "--filter=blob:none", Url("demo"), "partial");
        Assert.Contains("?", _sandbox.GitOk("partial", "rev-list", "--objects", "--all", "--missing=print").Stdout);
        _sandbox.GitOk("partial", "checkout", "-q", "main");
        Assert.Equal("three\n", File.ReadAllText(_sandbox.PathOf("partial/a.txt")));
        _sandbox.GitOk("partial", "fsck");
    }

    [SkippableFact]
    public void Clone_ShowsGitProgressLines()
    {
        _sandbox.NewRepo("src");
        for (int i = 0; i < 30; i++) File.WriteAllText(_sandbox.PathOf($"src/f{i}.txt"), new string('x', i * 100));
        _sandbox.GitOk("src", "add", ".");
        _sandbox.GitOk("src", "commit", "-q", "-m", "files");
        _sandbox.GitOk("src", "push", "-q", Url("demo"), "main");

        var clone = _sandbox.GitOk("", "clone", "--progress", Url("demo"), "copy");

        Assert.Contains("remote: Enumerating objects", clone.Stderr);
        Assert.Contains("remote: Total 32", clone.Stderr);
        Assert.Contains("Receiving objects: 100%", clone.Stderr);
    }

    [SkippableTheory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("2")]
    public void Clone_WithAnyClientProtocolVersion_Works(string version)
    {
        PushedRepo();
        _sandbox.GitOk("", "-c", $"protocol.version={version}", "clone", "-q", Url("demo"), "copy");
        Assert.Equal(_sandbox.RevParse("src", "HEAD"), _sandbox.RevParse("copy", "HEAD"));
    }

    [SkippableFact]
    public void Clone_OfMissingRepo_FailsWithOneLineAndCreatesNothing()
    {
        PushedRepo();
        var before = _sandbox.StoreSnapshot();

        var clone = _sandbox.Git("", "clone", Url("no-such-repo"), "copy");

        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains("fatal: remote error: repository 'no-such-repo' does not exist", clone.Stderr);
        Assert.DoesNotContain("   at ", clone.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }
}

public sealed class LocalCloneAndFetchTests : CloneAndFetchTests
{
    [SkippableFact]
    public void Clone_ThroughLocalhostAlias_ReachesTheSameStore()
    {
        PushedRepo();
        _sandbox.GitOk("", "clone", "-q", "clive::localhost/demo", "copy");
        Assert.Equal(_sandbox.RevParse("src", "HEAD"), _sandbox.RevParse("copy", "HEAD"));
    }
}

public sealed class SshCloneAndFetchTests : CloneAndFetchTests
{
    private readonly SshServer _ssh;

    public SshCloneAndFetchTests()
    {
        _ssh = SshServer.ForOwner(_sandbox);
    }

    protected override string Url(string repo) => _ssh.Url(repo);

    public override void Dispose()
    {
        _ssh.Dispose();
        base.Dispose();
    }
}
