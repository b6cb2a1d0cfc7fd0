using Clive.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// Clones served from reachability bitmaps send exactly what git's own server sends for the
/// same refs: the first clone builds and saves them, later ones read them, and neither a rewritten
/// history, a deleted branch, a gc (which renumbers every object) nor a hidden branch's saved
/// bitmap changes the answer. Each clone's objects are compared with a clone of a bare git
/// repository holding the same refs, with <c>git rev-list --objects --all</c>.
/// </summary>
public sealed class ReachabilityBitmapTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public ReachabilityBitmapTests()
    {
        // A history with a merged branch, an unmerged one, an annotated and a lightweight tag.
        _sandbox.NewRepo("src", ("a.txt", "one\n"), ("dir/b.txt", "two\n"));
        _sandbox.GitOk("src", "checkout", "-q", "-b", "topic");
        _sandbox.Commit("src", "dir/sub/c.txt", "topic work\n");
        _sandbox.GitOk("src", "checkout", "-q", "main");
        _sandbox.Commit("src", "a.txt", "three\n");
        _sandbox.GitOk("src", "merge", "-q", "--no-edit", "topic");
        _sandbox.GitOk("src", "tag", "-a", "v1", "-m", "release one");
        _sandbox.GitOk("src", "checkout", "-q", "-b", "unmerged", "topic");
        _sandbox.Commit("src", "d.txt", "never merged\n");
        _sandbox.GitOk("src", "tag", "light");
        _sandbox.GitOk("src", "checkout", "-q", "main");
        _sandbox.Commit("src", "dir/b.txt", "newest on main\n");
        _sandbox.GitOk("", "init", "-q", "--bare", "git.git");
    }

    public void Dispose() => _sandbox.Dispose();

    private void PushEverywhere(params string[] extra)
    {
        _sandbox.GitOk("src", ["push", "-q", .. extra, "--mirror", GitSandbox.Url("demo")]);
        _sandbox.GitOk("src", ["push", "-q", .. extra, "--mirror", _sandbox.PathOf("git.git")]);
    }

    /// <summary>A mirror clone from clive and one from git's bare repository; their object lists, and clive's stderr.</summary>
    private (string[] Clive, string[] Git, string CloneStderr) CloneBoth(string name)
    {
        _sandbox.Environment["CLIVE_TRACE"] = "1";
        var clone = _sandbox.GitOk("", "clone", "-q", "--mirror", GitSandbox.Url("demo"), name);
        _sandbox.Environment.Remove("CLIVE_TRACE");
        _sandbox.GitOk("", "clone", "-q", "--mirror", "--no-local", "file://" + _sandbox.PathOf("git.git"), name + "-git");
        _sandbox.GitOk(name, "fsck", "--strict", "--no-dangling");
        return (Objects(name), Objects(name + "-git"), clone.Stderr);
    }

    private string[] Objects(string repo)
        => _sandbox.GitOk(repo, "rev-list", "--objects", "--all").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line[..40]).Order(StringComparer.Ordinal).ToArray();

    private long SavedBitmaps()
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_sandbox.StoreDirectory, "store.db")};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM reach_bitmaps";
        return (long)command.ExecuteScalar()!;
    }

    [SkippableFact]
    public void FirstCloneSavesBitmaps_SecondReadsThem_BothSendWhatGitSends()
    {
        PushEverywhere();

        var first = CloneBoth("first");
        Assert.Equal(first.Git, first.Clive);
        Assert.True(SavedBitmaps() > 0, "the first clone saves the newest commit's bitmap");
        Assert.Contains("0 saved bitmaps used", first.CloneStderr);

        var second = CloneBoth("second");
        Assert.Equal(second.Git, second.Clive);
        // main's saved bitmap answers all but the unmerged branch's one commit of its own.
        Assert.Contains("1 saved bitmaps used, 1 commits walked", second.CloneStderr);
    }

    [SkippableFact]
    public void AfterRewriteAndDelete_TheOldTipsBitmapIsNotUsed_NothingUnreachableIsSent()
    {
        PushEverywhere();
        CloneBoth("before");
        // main loses its newest commit and gets another; the unmerged branch and its tag go.
        _sandbox.GitOk("src", "reset", "-q", "--hard", "HEAD~1");
        _sandbox.Commit("src", "e.txt", "rewritten\n");
        _sandbox.GitOk("src", "branch", "-q", "-D", "unmerged");
        _sandbox.GitOk("src", "tag", "-d", "light");
        PushEverywhere("--force");

        var after = CloneBoth("after");

        Assert.Equal(after.Git, after.Clive);
        Assert.DoesNotContain(_sandbox.RevParse("before", "refs/heads/main"), after.Clive);
        Assert.DoesNotContain(_sandbox.RevParse("before", "refs/heads/unmerged"), after.Clive);
    }

    [SkippableFact]
    public void AfterGc_StaleBitmapsAreRefusedAndReplaced_TheCloneIsTheSame()
    {
        PushEverywhere();
        CloneBoth("before");
        _sandbox.Clive("gc").EnsureSuccess("clive gc");

        var after = CloneBoth("after");

        Assert.Equal(after.Git, after.Clive);
        // gc moved every object to a new pack: the saved bitmap no longer numbers them and is rebuilt.
        Assert.Contains("0 saved bitmaps used", after.CloneStderr);
        Assert.Equal(1, SavedBitmaps());
        var again = CloneBoth("again");
        Assert.Equal(again.Git, again.Clive);
        Assert.Contains("1 saved bitmaps used", again.CloneStderr);
    }

    [SkippableFact]
    public void StoreFromBeforeTheIndex_IsUpgraded_AndServesTheSame()
    {
        PushEverywhere();
        using (var raw = new SqliteConnection($"Data Source={Path.Combine(_sandbox.StoreDirectory, "store.db")};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "DROP TABLE reach_bitmaps; DROP TABLE mount_attributes; PRAGMA user_version=9;";
            command.ExecuteNonQuery();
        }

        var clone = CloneBoth("copy");

        Assert.Equal(clone.Git, clone.Clive);
        Assert.True(SavedBitmaps() > 0);
    }

    [SkippableFact]
    public void HiddenBranchsBitmap_IsNotUsedForAReaderWhoCannotSeeIt()
    {
        using var ssh = new SshServer(_sandbox);
        ssh.AddIdentity("bob");
        // The secret branch is the newest commit and reaches main: an admin's clone saves its bitmap.
        _sandbox.GitOk("src", "checkout", "-q", "-b", "secret");
        _sandbox.Environment["GIT_COMMITTER_DATE"] = "2030-01-01T00:00:00Z";
        _sandbox.Commit("src", "secret.txt", "the secret\n");
        _sandbox.Environment.Remove("GIT_COMMITTER_DATE");
        _sandbox.GitOk("src", "checkout", "-q", "main");
        PushEverywhere();
        var admin = CloneBoth("admin");
        Assert.Equal(admin.Git, admin.Clive);
        Assert.Equal(1, SavedBitmaps());
        _sandbox.Clive("grant", "bob", "read", "demo:refs/heads/main").EnsureSuccess("grant");

        ssh.GitAs("bob", "", "clone", "-q", "--mirror", ssh.Url("demo"), "bob").EnsureSuccess("bob clones");

        var expected = _sandbox.GitOk("src", "rev-list", "--objects", "main").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line[..40]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, Objects("bob"));
        Assert.DoesNotContain(_sandbox.RevParse("src", "secret:secret.txt"), Objects("bob"));
    }
}
