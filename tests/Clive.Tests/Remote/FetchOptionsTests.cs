using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// git's fetch options that change what is sent — depth, date, excluded refs, unshallow, and a
/// partial clone's filters — run with the real git against clive and, side by side, against a bare
/// repository served by git itself (file://, filters allowed as a partial clone server allows them):
/// the shallow boundary, the commits and the objects left out must be the same.
/// </summary>
public sealed class FetchOptionsTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private readonly string _gitUrl;

    public FetchOptionsTests()
    {
        _sandbox.NewRepo("src");
        Commit("2020-01-01", ("a.txt", "one\n"), ("dir/b.txt", "two\n"), ("dir/sub/c.txt", new string('c', 5000)), ("big.bin", new string('x', 3000)));
        Commit("2020-02-01", ("a.txt", "one\ntwo\n"));
        _sandbox.GitOk("src", "tag", "-a", "v1", "-m", "v1");
        _sandbox.GitOk("src", "checkout", "-q", "-b", "side");
        Commit("2020-03-01", ("dir/side.txt", "side\n"));
        _sandbox.GitOk("src", "checkout", "-q", "main");
        Commit("2020-03-15", ("dir/b.txt", "two\nthree\n"));
        Environment("2020-04-01");
        _sandbox.GitOk("src", "merge", "-q", "--no-ff", "-m", "merge side", "side");
        Commit("2020-05-01", ("dir/sub/c.txt", new string('d', 6000)));
        Commit("2020-06-01", ("a.txt", "one\ntwo\nsix\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main", "side", "v1");
        _sandbox.GitOk("", "clone", "-q", "--bare", "src", "served.git");
        _sandbox.GitOk("served.git", "config", "uploadpack.allowFilter", "true");
        _sandbox.GitOk("served.git", "config", "uploadpack.allowAnySHA1InWant", "true");
        _gitUrl = "file://" + _sandbox.PathOf("served.git");
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Shallow_ByDepthDeepenDateExcludedRefAndUnshallow_IsWhatGitServes()
    {
        Both("d", ["clone", "-q", "--depth=2"]);
        Same("d", "clone --depth=2");
        Both("d", ["fetch", "-q", "--deepen=2"], clone: false);
        Same("d", "fetch --deepen=2");
        Both("d", ["fetch", "-q", "--deepen=1"], clone: false);
        Same("d", "fetch --deepen=1 again");
        Both("d", ["fetch", "-q", "--unshallow"], clone: false);
        Same("d", "fetch --unshallow");
        Assert.Equal("false", Git("d-clive", "rev-parse", "--is-shallow-repository"));

        Both("since", ["clone", "-q", "--shallow-since=2020-03-10"]);
        Same("since", "clone --shallow-since");
        Both("not", ["clone", "-q", "--no-single-branch", "--shallow-exclude=v1"]);
        Same("not", "clone --shallow-exclude=v1");
        Both("deeper", ["clone", "-q", "--depth=1"]);
        Both("deeper", ["fetch", "-q", "--shallow-since=2020-02-15"], clone: false);
        Same("deeper", "fetch --shallow-since in a shallow clone");
        _sandbox.GitOk("deeper-clive", "fsck");
    }

    [Fact]
    public void PartialClone_LeavesOutWhatGitLeavesOut_AndFetchesItWhenNeeded()
    {
        string[] filters = ["blob:none", "blob:limit=4k", "tree:0", "tree:1", "tree:2", "object:type=commit", "combine:blob:limit=100+tree:3"];
        for (int i = 0; i < filters.Length; i++)
        {
            var (name, filter) = ($"p{i}", filters[i]);
            Both(name, ["clone", "-q", "--no-checkout", "--filter=" + filter]);
            Same(name, "clone --filter=" + filter);
            Assert.NotEqual("", Missing(name + "-clive"));

            // Checking out fetches what the tree needs, through the same helper, as git's promisor remote.
            foreach (var side in new[] { "clive", "git" }) _sandbox.GitOk($"{name}-{side}", "checkout", "-q", "main");
            Assert.Equal(File.ReadAllText(_sandbox.PathOf($"{name}-git/dir/sub/c.txt")), File.ReadAllText(_sandbox.PathOf($"{name}-clive/dir/sub/c.txt")));
            Assert.Equal(Git($"{name}-git", "config", "remote.origin.partialclonefilter"), Git($"{name}-clive", "config", "remote.origin.partialclonefilter"));
            _sandbox.GitOk($"{name}-clive", "fsck");
            Same(name, $"--filter={filter}, after checkout");
        }
    }

    [Fact]
    public void PartialClone_LogPatchBlameSparseCheckoutAndRefetch_Work()
    {
        Both("s", ["clone", "-q", "--filter=blob:none", "--sparse"]);
        foreach (var side in new[] { "s-clive", "s-git" }) _sandbox.GitOk(side, "sparse-checkout", "set", "dir/sub");
        // Only the blobs the checkout needs came (the cone, and the files of its parent directories,
        // at main): the same as from git; older versions stay on the server.
        Same("s", "sparse checkout of dir/sub");
        Assert.True(File.Exists(_sandbox.PathOf("s-clive/dir/sub/c.txt")));
        Assert.NotEqual("", Missing("s-clive"));

        Assert.Contains("+two", Git("s-clive", "log", "-p", "--", "a.txt"));
        Assert.Contains("one", Git("s-clive", "blame", "main", "--", "a.txt"));
        _sandbox.GitOk("s-clive", "fetch", "-q", "--refetch", "--filter=blob:none", "origin");
        _sandbox.GitOk("s-clive", "fsck");
    }

    [Fact]
    public void AnObjectOfAnotherRepo_CannotBeFetchedByItsId_ThroughThisOne()
    {
        _sandbox.NewRepo("secret", ("s.txt", "the secret\n"));
        _sandbox.GitOk("secret", "push", "-q", GitSandbox.Url("other"), "main");
        var blob = _sandbox.RevParse("secret", "HEAD:s.txt");
        _sandbox.GitOk("", "clone", "-q", "--filter=blob:none", GitSandbox.Url("demo"), "probe");
        var own = _sandbox.RevParse("src", "HEAD~5:big.bin");

        // What demo's refs reach comes by id (what git's promisor fetch asks for); the other repo's does not.
        _sandbox.GitOk("probe", "fetch", "-q", "origin", own);
        var refused = _sandbox.Git("probe", "fetch", "-q", "origin", blob);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("not our ref " + blob, refused.Stderr);
        Assert.NotEqual(0, _sandbox.Git("probe", "cat-file", "-e", blob).ExitCode);
    }

    [Theory]
    [InlineData("sparse:path=x", "not supported")]
    [InlineData("sparse:oid=main:cone", "not supported")]
    [InlineData("tree:x", "invalid filter-spec")]
    [InlineData("blob:limit=99999999999999999999g", "invalid filter-spec")]
    [InlineData("object:type=cheese", "not a valid object type")]
    [InlineData("combine:", "expected something after combine:")]
    [InlineData("combine:blob:none+combine:tree:0", "invalid filter-spec")]
    [InlineData("combine:blob:none+tree:0;rm", "must escape")]
    public void AFilterSpecGitWouldRefuse_IsRefusedNamingWhy(string spec, string why)
        => Assert.Contains(why, Assert.Throws<ProtocolException>(() => Clive.Transfer.ObjectFilter.Parse(spec)).Message);

    private void Commit(string date, params (string Path, string Content)[] files)
    {
        Environment(date);
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_sandbox.PathOf("src/" + path))!);
            File.WriteAllText(_sandbox.PathOf("src/" + path), content);
            _sandbox.GitOk("src", "add", "--", path);
        }
        _sandbox.GitOk("src", "commit", "-q", "-m", "on " + date);
    }

    private void Environment(string date)
    {
        _sandbox.Environment["GIT_AUTHOR_DATE"] = date + "T12:00:00Z";
        _sandbox.Environment["GIT_COMMITTER_DATE"] = date + "T12:00:00Z";
    }

    /// <summary>Runs a git command in "<paramref name="name"/>-clive" against clive and "<paramref name="name"/>-git" against git's server.</summary>
    private void Both(string name, string[] command, bool clone = true)
    {
        foreach (var (side, url) in new[] { ("clive", GitSandbox.Url("demo")), ("git", _gitUrl) })
        {
            if (clone) _sandbox.GitOk("", [.. command, url, $"{name}-{side}"]);
            else _sandbox.GitOk($"{name}-{side}", command);
        }
    }

    /// <summary>Both clones hold the same shallow boundary, the same commits, and lack the same objects.</summary>
    private void Same(string name, string what)
    {
        foreach (var aspect in new Func<string, string>[] { Shallow, Commits, Missing })
            Assert.True(aspect($"{name}-git") == aspect($"{name}-clive"),
                $"{what}: from git:\n{aspect($"{name}-git")}\nfrom clive:\n{aspect($"{name}-clive")}");
    }

    private string Shallow(string dir)
    {
        var path = _sandbox.PathOf(dir + "/.git/shallow");
        return File.Exists(path) ? string.Join('\n', File.ReadAllLines(path).Order()) : "";
    }

    private string Commits(string dir) => string.Join('\n', Git(dir, "rev-list", "--all").Split('\n').Order());

    private string Missing(string dir)
        => string.Join('\n', Git(dir, "rev-list", "--objects", "--all", "--missing=print").Split('\n').Where(l => l.StartsWith('?')).Order());

    private string Git(string dir, params string[] args) => _sandbox.GitOk(dir, args).Stdout.Trim();
}
