using Clive.Store.Refs;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>A short ref name means what it means to git: one rule (git's rev-parse order), checked against git itself.</summary>
public sealed class ShortRefNameTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Candidates_AreGitsRevParseOrder()
    {
        Assert.Equal(["main", "refs/main", "refs/tags/main", "refs/heads/main", "refs/remotes/main", "refs/remotes/main/HEAD"], ShortRefName.Candidates("main"));
        Assert.Equal(["refs/heads/main"], ShortRefName.Candidates("refs/heads/main"));
        Assert.Equal(["HEAD"], ShortRefName.Candidates("HEAD"));
    }

    [Fact]
    public void Branch_IsBelowRefsHeads_UnlessAlreadyFull()
    {
        Assert.Equal("refs/heads/release/1", ShortRefName.Branch("release/1"));
        Assert.Equal("refs/tags/v1", ShortRefName.Branch("refs/tags/v1"));
    }

    [Fact]
    public void AmbiguousNames_ResolveAsGitResolvesThem()
    {
        _sandbox.NewRepo("src", ("a", "1"), ("b", "2"));
        var (first, second) = (_sandbox.RevParse("src", "HEAD~1"), _sandbox.RevParse("src", "HEAD"));
        foreach (var (name, id) in new[]
        {
            ("refs/heads/dev", second), ("refs/tags/dev", first),              // dev: a tag shadows a branch
            ("refs/heads/topic", first), ("refs/tags/topic", second), ("refs/topic", first), // refs/<name> comes first
            ("refs/heads/feature", second),                                     // no ambiguity
            ("refs/remotes/origin/HEAD", first),                                // a remote's name means its HEAD
            ("refs/remotes/up", second), ("refs/heads/up", first),              // a branch before a remote
        })
            _sandbox.GitOk("src", "update-ref", name, id);
        // refs/topic is named: git (2.39) did not send it for the pattern refspec.
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "refs/*:refs/*", "refs/topic:refs/topic");

        using var store = _sandbox.OpenStore();
        long repoId = store.Repos.GetId("demo");
        foreach (var name in new[] { "dev", "topic", "feature", "origin", "up", "heads/dev", "tags/topic", "main", "HEAD" })
        {
            var resolved = store.Refs.ResolveFull(repoId, name);
            // git names the ref only when the name is unambiguous; its commit tells which one it chose either way.
            Assert.Equal((name, _sandbox.RevParse("src", name)), (name, resolved?.Id.ToString()));
            var gits = _sandbox.GitOk("src", "rev-parse", "--symbolic-full-name", name).Stdout.Trim();
            if (gits.Length > 0) Assert.Equal(gits, resolved?.Name);
        }
        Assert.Null(store.Refs.ResolveFull(repoId, "nosuch"));
        // The reflog of a short name is that of the ref it means.
        Assert.Contains("refs/tags/dev", _sandbox.Clive("log", "demo", "dev").EnsureSuccess("clive log dev").Stdout);
    }
}
