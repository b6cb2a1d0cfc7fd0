using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>Many git processes pushing into one store at once.</summary>
public sealed class ConcurrencyTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private static readonly string Url = GitSandbox.Url("demo");

    public void Dispose() => _sandbox.Dispose();

    private List<string> ClonesWithOwnCommit(int count)
    {
        _sandbox.NewRepo("src", ("a", "base"));
        _sandbox.GitOk("src", "push", "-q", Url, "main");
        var names = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var name = $"c{i}";
            _sandbox.GitOk("", "clone", "-q", Url, name);
            _sandbox.Commit(name, $"file{i}", $"from clone {i}\n");
            names.Add(name);
        }
        return names;
    }

    [Fact]
    public void ConcurrentPushes_ToDifferentBranches_AllSucceed()
    {
        var clones = ClonesWithOwnCommit(6);

        var results = clones.AsParallel().WithDegreeOfParallelism(6)
            .Select(c => (Clone: c, Result: _sandbox.Git(c, "push", "origin", $"main:refs/heads/{c}"))).ToList();

        Assert.All(results, r => Assert.Equal(0, r.Result.ExitCode));
        foreach (var c in clones)
            Assert.Contains($"{_sandbox.RevParse(c, "main")}\trefs/heads/{c}", _sandbox.GitOk("", "ls-remote", Url).Stdout);
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    [Fact]
    public void ConcurrentPushes_ToSameBranchFromSameBase_ExactlyOneWins()
    {
        var clones = ClonesWithOwnCommit(6);

        var results = clones.AsParallel().WithDegreeOfParallelism(6)
            .Select(c => (Clone: c, Result: _sandbox.Git(c, "push", "origin", "main"))).ToList();

        var winners = results.Where(r => r.Result.ExitCode == 0).ToList();
        Assert.Single(winners);
        foreach (var loser in results.Where(r => r.Result.ExitCode != 0))
            Assert.Matches("rejected|non-fast-forward|fetch first", loser.Result.Stderr);
        var remote = _sandbox.GitOk("", "ls-remote", Url, "refs/heads/main").Stdout.Split('\t')[0];
        Assert.Equal(_sandbox.RevParse(winners[0].Clone, "main"), remote);
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
        using var store = _sandbox.OpenStore();
        Assert.Equal(2, store.Events.Log("demo", "refs/heads/main", 100).Count);
    }
}
