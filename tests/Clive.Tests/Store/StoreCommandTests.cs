using System.Text.Json;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>The clive command against real SQLite stores.</summary>
public sealed class StoreCommandTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private void Pushed(string repo = "demo")
    {
        if (!Directory.Exists(_sandbox.PathOf("src"))) _sandbox.NewRepo("src", ("a", "1"), ("b/c", "2"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url(repo), "main");
    }

    [Theory]
    [InlineData("repo", "list")]
    [InlineData("repo", "create")]
    [InlineData("repo", "delete")]
    [InlineData("refs")]
    [InlineData("log")]
    [InlineData("events")]
    [InlineData("fsck")]
    [InlineData("gc")]
    [InlineData("serve")]
    [InlineData("trust", "add")]
    [InlineData("trust", "list")]
    public void EveryCommand_HasHelp(params string[] command)
    {
        var help = _sandbox.Clive([.. command, "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Usage:", help.Stdout);
        Assert.Contains("--store", help.Stdout);
    }

    [Fact]
    public void TopLevelHelp_MarksOptionalArgumentsAsGitDoes()
    {
        var help = _sandbox.Clive("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Matches(@"(?m)^  log <repo> \[<ref>\] +Show the reflog", help.Stdout);
        Assert.Matches(@"(?m)^  status \[<repo>\] +Show every cell", help.Stdout);
        Assert.Matches(@"(?m)^  refs <repo> +List a repo's refs", help.Stdout);
        // The descriptions stay in one column.
        var columns = help.Stdout.Split('\n').Where(l => l.StartsWith("  log ") || l.StartsWith("  refs "))
            .Select(l => l.IndexOf("Show", StringComparison.Ordinal) is var i and > 0 ? i : l.IndexOf("List", StringComparison.Ordinal))
            .Distinct();
        Assert.Single(columns);
    }

    [Fact]
    public void Repo_CreateListDelete()
    {
        _sandbox.Clive("repo", "create", "team/app", "--branch", "trunk").EnsureSuccess("create");
        Pushed("demo");

        Assert.Equal("demo\nteam/app\n", _sandbox.Clive("repo", "list").Stdout);
        var json = JsonDocument.Parse(_sandbox.Clive("repo", "list", "--json").Stdout).RootElement;
        Assert.Equal("refs/heads/trunk", json[1].GetProperty("head").GetString());
        Assert.Equal(1, json[0].GetProperty("refs").GetInt32());

        var again = _sandbox.Clive("repo", "create", "team/app");
        Assert.Equal(128, again.ExitCode);
        Assert.Equal("fatal: repository 'team/app' already exists", again.Stderr.Trim());

        _sandbox.Clive("repo", "delete", "demo").EnsureSuccess("delete");
        Assert.Equal("team/app\n", _sandbox.Clive("repo", "list").Stdout);
        Assert.NotEqual(0, _sandbox.Git("", "ls-remote", GitSandbox.Url("demo")).ExitCode);
        Assert.Contains("repo delete", _sandbox.Clive("events").Stdout);
    }

    [Fact]
    public void Refs_ShowsSymbolicHeadAndBranches()
    {
        Pushed();
        var head = _sandbox.RevParse("src", "HEAD");

        Assert.Equal($"ref: refs/heads/main\tHEAD\n{head}\trefs/heads/main\n", _sandbox.Clive("refs", "demo").Stdout);
        var json = JsonDocument.Parse(_sandbox.Clive("refs", "demo", "--json").Stdout).RootElement;
        Assert.Equal("refs/heads/main", json[0].GetProperty("symref").GetString());
        Assert.Equal(head, json[1].GetProperty("target").GetString());
    }

    [Fact]
    public void UnknownRepoOrBadName_IsOneLineError()
    {
        Pushed();
        var missing = _sandbox.Clive("refs", "nope");
        Assert.Equal(128, missing.ExitCode);
        Assert.Equal("fatal: repository 'nope' does not exist", missing.Stderr.Trim());

        var hostile = _sandbox.Clive("repo", "create", "../up");
        Assert.Equal(128, hostile.ExitCode);
        Assert.StartsWith("fatal: invalid repository name", hostile.Stderr.Trim());
        Assert.DoesNotContain("\n", hostile.Stderr.Trim());
    }

    [Fact]
    public void Log_ShowsReflogNewestFirst_AsTextAndJson()
    {
        Pushed();
        _sandbox.Commit("src", "a", "again");
        Pushed();

        var json = JsonDocument.Parse(_sandbox.Clive("log", "demo", "main", "--json").Stdout).RootElement;

        Assert.Equal(2, json.GetArrayLength());
        Assert.Equal(_sandbox.RevParse("src", "HEAD"), json[0].GetProperty("new").GetString());
        Assert.Equal(_sandbox.RevParse("src", "HEAD~1"), json[0].GetProperty("old").GetString());
        Assert.Equal(JsonValueKind.Null, json[1].GetProperty("old").ValueKind);
        Assert.Equal("push", json[0].GetProperty("why").GetString());
        Assert.Single(_sandbox.Clive("log", "demo", "-n", "1").Stdout.Trim().Split('\n'));
    }

    [Fact]
    public void Events_Follow_SeesAPushAtOnce()
    {
        Pushed();
        // From event 1: the follower prints event 2 once it runs, so the push below comes while it follows.
        using var follower = ProcessRunner.Start(Binaries.Clive, ["events", "--follow", "--json", "--since", "1"],
            _sandbox.Root, _sandbox.Environment);
        var lines = new System.Collections.Concurrent.BlockingCollection<string>();
        _ = Task.Run(() =>
        {
            while (follower.StandardOutput.ReadLine() is { } line) lines.Add(line);
        });
        Assert.True(lines.TryTake(out var started, TimeSpan.FromSeconds(30)), "the follower never started");
        Assert.Equal(2, JsonDocument.Parse(started!).RootElement.GetProperty("seq").GetInt64());
        _sandbox.Commit("src", "a", "followed");
        Pushed();

        Assert.True(lines.TryTake(out var line, TimeSpan.FromSeconds(10)), "the follower saw nothing");
        var e = JsonDocument.Parse(line!).RootElement;
        Assert.Equal(3, e.GetProperty("seq").GetInt64()); // 1 and 2: the first push's HEAD and main
        Assert.Equal(_sandbox.RevParse("src", "HEAD"), e.GetProperty("new").GetString());
        follower.Kill();
    }

    [Fact]
    public void Events_SignalFile_IsAloneInTheDirectoryFollowersWatch()
    {
        // inotify watches a directory: next to the database, every write to its log would wake every follower.
        Pushed();
        using var store = _sandbox.OpenStore();
        using var follower = store.Events.Follow();
        _sandbox.Commit("src", "a", "another");
        Pushed();

        var watched = Path.Combine(_sandbox.StoreDirectory, Clive.Store.EventLog.SignalDirectoryName);
        Assert.Equal([Clive.Store.EventLog.SignalFileName], Directory.GetFileSystemEntries(watched).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(_sandbox.StoreDirectory, Clive.Store.EventLog.SignalFileName));
    }

    [Fact]
    public void Fsck_FindsACorruptedChunk()
    {
        Pushed();
        _sandbox.Clive("fsck").EnsureSuccess("fsck of a clean store");
        using (var store = _sandbox.OpenStore())
        {
            // Flip one byte in the middle of the stored pack, behind clive's back.
            var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.DatabasePath}");
            connection.Open();
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT data FROM pack_chunks WHERE seq = 0";
            var data = (byte[])select.ExecuteScalar()!;
            data[data.Length / 2] ^= 0xFF;
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE pack_chunks SET data = $data WHERE seq = 0";
            update.Parameters.AddWithValue("$data", data);
            update.ExecuteNonQuery();
            connection.Close();
        }

        var fsck = _sandbox.Clive("fsck", "--json");

        Assert.Equal(1, fsck.ExitCode);
        var report = JsonDocument.Parse(fsck.Stdout).RootElement;
        Assert.False(report.GetProperty("clean").GetBoolean());
        Assert.Contains(report.GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("checksum mismatch"));
    }

    [Fact]
    public void Gc_MergesPacks_DropsUnreachable_AndKeepsEverythingReachable()
    {
        Pushed();
        _sandbox.GitOk("src", "checkout", "-q", "-b", "doomed");
        _sandbox.Commit("src", "unique", "only on the doomed branch");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "doomed");
        _sandbox.GitOk("src", "checkout", "-q", "main");
        _sandbox.Commit("src", "a", "kept");
        Pushed();
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), ":doomed");

        var gc = JsonDocument.Parse(_sandbox.Clive("gc", "--json").EnsureSuccess("gc").Stdout).RootElement;

        Assert.Equal(3, gc.GetProperty("packs_before").GetInt32());
        Assert.Equal(3, gc.GetProperty("dropped").GetInt64()); // the doomed commit, its tree and its blob
        var fsck = JsonDocument.Parse(_sandbox.Clive("fsck", "--json").EnsureSuccess("fsck after gc").Stdout).RootElement;
        Assert.Equal(1, fsck.GetProperty("packs").GetInt64());
        _sandbox.GitOk("", "clone", "-q", GitSandbox.Url("demo"), "copy");
        _sandbox.GitOk("copy", "fsck", "--strict");
        Assert.Equal(_sandbox.RevParse("src", "main"), _sandbox.RevParse("copy", "HEAD"));
    }

    [Fact]
    public void StoreDirectory_ComesFromOptionThenEnvironment()
    {
        var other = _sandbox.PathOf("other-store");
        _sandbox.Clive("--store", other, "repo", "create", "elsewhere").EnsureSuccess("create with --store");

        Assert.True(File.Exists(Path.Combine(other, "store.db")));
        Assert.Equal("elsewhere\n", _sandbox.Clive("repo", "list", "--store", other).Stdout);
        Assert.Equal("", _sandbox.Clive("repo", "list").Stdout);
    }

    [Fact]
    public void StorePathThatIsAFile_IsOneLineError_ForClivAndTheHelper()
    {
        var file = _sandbox.PathOf("not-a-dir");
        File.WriteAllText(file, "x");
        _sandbox.Environment["CLIVE_STORE"] = file;

        var list = _sandbox.Clive("repo", "list");
        var lsRemote = _sandbox.Git("", "ls-remote", GitSandbox.Url("demo"));

        Assert.Equal(128, list.ExitCode);
        Assert.Equal($"fatal: store '{file}' is a file, not a directory (check --store or CLIVE_STORE)", list.Stderr.Trim());
        Assert.NotEqual(0, lsRemote.ExitCode);
        Assert.Contains("is a file, not a directory", lsRemote.Stderr);
        Assert.DoesNotContain("   at ", lsRemote.Stderr);
    }

    [Fact]
    public void ReadingCommands_DoNotCreateAStoreAtAMistypedPath()
    {
        var typo = _sandbox.PathOf("stroe");

        var list = _sandbox.Clive("--store", typo, "repo", "list");

        Assert.Equal(128, list.ExitCode);
        Assert.StartsWith($"fatal: no store at '{typo}'", list.Stderr);
        Assert.False(Directory.Exists(typo));
    }

    [Theory]
    [InlineData("unknown command or argument 'reop'", "reop", "list")]
    [InlineData("Required argument missing for command: 'refs'", "refs")]
    public void ParseErrors_AreOneLinePlusWhereHelpIs(string message, params string[] args)
    {
        var result = _sandbox.Clive(args);

        Assert.Equal(129, result.ExitCode);
        var lines = result.Stderr.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("error: " + message, lines[0]);
        Assert.StartsWith("See 'clive", lines[1]);
    }

    [Fact]
    public void Log_OfARefThatNeverExisted_IsAnError()
    {
        Pushed();
        var log = _sandbox.Clive("log", "demo", "nosuchref");
        Assert.Equal(128, log.ExitCode);
        Assert.Contains("no ref 'nosuchref'", log.Stderr);
    }
}
