using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Clive.Tests.Fixtures;
using Xunit;
using Xunit.Abstractions;

namespace Clive.Tests.Store;

/// <summary>
/// `clive gc` runs beside pushes and fetches (issue 16). A push is held in flight (its commands
/// sent, half its pack not yet), so gc, having marked, packed and moved the index to its new
/// pack, waits for it before its sweep: the one moment gc must not share with a push. Meanwhile
/// twenty git clients push new commits (thin packs leaning on objects gc has just moved) and
/// fetch: all of them land while gc still runs. Then the held push lands, gc sweeps, and every
/// ref's whole closure is there, as git checks it.
/// </summary>
public sealed class GcBesidePushesTests(ITestOutputHelper output) : IDisposable
{
    private const int Clients = 20;
    private static readonly string Url = GitSandbox.Url("demo");
    private readonly GitSandbox _sandbox = new();
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var p in _processes.Where(p => !p.HasExited)) p.Kill(entireProcessTree: true);
        _sandbox.Dispose();
    }

    [Fact]
    public void Gc_WhileTwentyClientsPushAndFetch_EveryPushLands_AndEveryRefIsWholeAfterwards()
    {
        var mainTip = StoreWithHistoryAndGarbage();
        PushSeeds(mainTip);
        var clients = Enumerable.Range(0, Clients).Select(NewClient).ToList();
        var (held, heldCommit, rest) = HoldPushInFlight(mainTip);

        var gc = Start(Binaries.Clive, "gc", "--wait", "10m");
        var gcErr = new StringBuilder();
        gc.ErrorDataReceived += (_, e) => { lock (gcErr) gcErr.AppendLine(e.Data); };
        gc.BeginErrorReadLine();
        string GcSays() { lock (gcErr) return gcErr.ToString(); }
        Poll.Until(() => GcSays().Contains("Waiting for the pushes in flight"), "gc to reach its sweep", 120, GcSays);

        var results = clients.AsParallel().WithDegreeOfParallelism(Clients).Select(c => (Client: c, Push: Push(c, mainTip), Fetch: Fetch(c))).ToList();
        foreach (var r in results)
        {
            r.Push.EnsureSuccess($"{r.Client}'s push beside gc");
            r.Fetch.EnsureSuccess($"{r.Client}'s fetch beside gc");
        }
        // Every one of them landed while gc was still running: none waited for gc.
        Assert.False(gc.HasExited, "gc finished before the pushes beside it: the test proves nothing\n" + GcSays());

        held.StandardInput.BaseStream.Write(rest);
        held.StandardInput.Close();
        var report = held.StandardOutput.ReadToEnd();
        Assert.True(held.WaitForExit(120_000), "the held push did not finish");
        Assert.Contains("ok refs/heads/held", report);
        Assert.True(gc.WaitForExit(300_000), "gc did not finish once no push was in flight");
        gc.WaitForExit();
        Assert.True(gc.ExitCode == 0, "gc failed:\n" + GcSays());
        var dropped = Regex.Match(GcSays(), @"(\d+) unreachable dropped");
        Assert.True(dropped.Success && long.Parse(dropped.Groups[1].Value) > 0, "gc dropped nothing: the store's garbage is still there\n" + GcSays());
        output.WriteLine(GcSays());

        _sandbox.Clive("fsck").EnsureSuccess("clive fsck after gc");
        _sandbox.GitOk("", "clone", "-q", "--mirror", Url, "after.git");
        _sandbox.GitOk("after.git", "fsck", "--full", "--no-dangling");
        foreach (var c in clients)
            Assert.Equal(_sandbox.RevParse(c, $"refs/heads/{c}"), _sandbox.RevParse("after.git", $"refs/heads/{c}"));
        Assert.Equal(heldCommit, _sandbox.RevParse("after.git", "refs/heads/held"));
        Assert.Equal(mainTip, _sandbox.RevParse("after.git", "refs/heads/main"));
        Assert.False(_sandbox.Git("after.git", "rev-parse", "--verify", "-q", "refs/heads/garbage").ExitCode == 0);
    }

    [Fact]
    public void Gc_KilledAtItsSweep_LeavesAWholeStore_ThatTheNextGcCompacts()
    {
        var mainTip = StoreWithHistoryAndGarbage(commits: 60);
        var (held, heldCommit, rest) = HoldPushInFlight(mainTip);
        var gc = Start(Binaries.Clive, "gc", "--wait", "10m");
        var gcErr = new StringBuilder();
        gc.ErrorDataReceived += (_, e) => { lock (gcErr) gcErr.AppendLine(e.Data); };
        gc.BeginErrorReadLine();
        string GcSays() { lock (gcErr) return gcErr.ToString(); }
        Poll.Until(() => GcSays().Contains("Waiting for the pushes in flight"), "gc to reach its sweep", 120, GcSays);

        // Killed with its pack copied in and the index moved to it, the old packs not yet retired.
        gc.Kill();
        gc.WaitForExit();
        held.StandardInput.BaseStream.Write(rest);
        held.StandardInput.Close();
        Assert.Contains("ok refs/heads/held", held.StandardOutput.ReadToEnd());
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck after a killed gc");

        var again = _sandbox.Clive("gc").EnsureSuccess("the next gc");
        Assert.Matches(@"[1-9]\d* unreachable dropped", again.Stderr);
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck after the next gc");
        _sandbox.GitOk("", "clone", "-q", "--mirror", Url, "after.git");
        _sandbox.GitOk("after.git", "fsck", "--full", "--no-dangling");
        Assert.Equal(heldCommit, _sandbox.RevParse("after.git", "refs/heads/held"));
        Assert.Equal(mainTip, _sandbox.RevParse("after.git", "refs/heads/main"));
        using var store = _sandbox.OpenStore();
        Assert.Equal(1, store.Objects.PackCount());
    }

    /// <summary>main with a history to keep, and a deleted branch's history for gc to drop. Returns main's tip.</summary>
    private string StoreWithHistoryAndGarbage(int commits = 300)
    {
        Directory.CreateDirectory(_sandbox.PathOf("src.git"));
        _sandbox.GitOk("src.git", "init", "-q", "--bare", "-b", "main");
        FastImport("src.git", History(1, "main", commits));
        FastImport("src.git", History(2, "garbage", commits));
        _sandbox.GitOk("src.git", "push", "-q", Url, "main", "garbage");
        _sandbox.GitOk("src.git", "push", "-q", Url, ":garbage");
        return _sandbox.RevParse("src.git", "main");
    }

    private byte[] History(int seed, string branch, int commits)
    {
        var history = ProcessRunner.Run("python3", [Path.Combine(SourceTree.Root, "scripts/bench/make_history.py"),
                "--commits", commits.ToString(), "--files", "200", "--seed", seed.ToString()],
            _sandbox.Root, _sandbox.Environment).EnsureSuccess("make_history.py");
        return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(history.StdoutBytes).Replace("refs/heads/main", "refs/heads/" + branch));
    }

    /// <summary>A branch per client, each a commit on main with a blob of its own, for the clients to fetch during gc.</summary>
    private void PushSeeds(string mainTip)
    {
        FastImport("src.git", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, Clients).Select(i => CommitOn($"refs/heads/seed-{i}", mainTip, $"seed-{i}.txt", $"seed {i}")))));
        _sandbox.GitOk("src.git", "push", "-q", Url, "refs/heads/seed-*:refs/heads/seed-*");
    }

    /// <summary>A client repo that borrows main's history (alternates), so its commits build on main and its pushes are thin packs against it.</summary>
    private string NewClient(int i)
    {
        var name = $"c{i:00}";
        _sandbox.GitOk("", "init", "-q", "--bare", name);
        File.WriteAllText(_sandbox.PathOf($"{name}/objects/info/alternates"), _sandbox.PathOf("src.git/objects") + "\n");
        return name;
    }

    private ProcessResult Push(string client, string mainTip)
    {
        FastImport(client, Encoding.UTF8.GetBytes(CommitOn($"refs/heads/{client}", mainTip, $"{client}/new.txt", $"pushed by {client} while gc runs")));
        return _sandbox.Git(client, "push", "--porcelain", Url, $"refs/heads/{client}:refs/heads/{client}");
    }

    private ProcessResult Fetch(string client)
    {
        var seed = $"seed-{int.Parse(client[1..])}";
        return _sandbox.Git(client, "fetch", "-q", Url, $"refs/heads/{seed}:refs/heads/{seed}");
    }

    /// <summary>
    /// A push as git's transport sends it to `clive serve git-receive-pack`, stopped halfway
    /// through its pack: returns once the server holds its place among the pushes in flight.
    /// </summary>
    private (Process Server, string Commit, byte[] Remainder) HoldPushInFlight(string mainTip)
    {
        _sandbox.GitOk("", "init", "-q", "--bare", "held.git");
        File.WriteAllText(_sandbox.PathOf("held.git/objects/info/alternates"), _sandbox.PathOf("src.git/objects") + "\n");
        var content = string.Concat(Enumerable.Range(0, 2000).Select(n => $"line {n} of the held push\n"));
        FastImport("held.git", Encoding.UTF8.GetBytes(CommitOn("refs/heads/held", mainTip, "held.txt", content)));
        var commit = _sandbox.RevParse("held.git", "refs/heads/held");
        var pack = ProcessRunner.Run("git", ["pack-objects", "--thin", "--stdout", "--revs", "-q"], _sandbox.PathOf("held.git"), _sandbox.Environment,
            Encoding.UTF8.GetBytes($"{commit}\n^{mainTip}\n")).EnsureSuccess("pack-objects").StdoutBytes;
        var command = Encoding.UTF8.GetBytes($"{new string('0', 40)} {commit} refs/heads/held\0report-status\n");
        var server = Start(Binaries.Clive, "serve", "git-receive-pack", "demo");
        var input = server.StandardInput.BaseStream;
        input.Write(Encoding.ASCII.GetBytes($"{command.Length + 4:x4}"));
        input.Write(command);
        input.Write("0000"u8);
        input.Write(pack.AsSpan(0, pack.Length / 2));
        input.Flush();
        var inode = ProcessRunner.Run("stat", ["-c", "%i", "gc.push.inflight"], _sandbox.StoreDirectory, _sandbox.Environment);
        Poll.Until(() => inode.ExitCode == 0 || (inode = ProcessRunner.Run("stat", ["-c", "%i", "gc.push.inflight"], _sandbox.StoreDirectory, _sandbox.Environment)).ExitCode == 0,
            "the push's lock file");
        var lockLine = new Regex($@"FLOCK\s+ADVISORY\s+READ\s+{server.Id}\s+\S+:{inode.Stdout.Trim()}\s");
        Poll.Until(() => lockLine.IsMatch(File.ReadAllText("/proc/locks")), "the held push to be in flight", 60);
        return (server, commit, pack[(pack.Length / 2)..]);
    }

    private static string CommitOn(string branch, string parent, string path, string content)
    {
        var message = $"add {path}";
        return $"commit {branch}\ncommitter Ada <ada@example.com> 1700000000 +0000\ndata {Encoding.UTF8.GetByteCount(message)}\n{message}\nfrom {parent}\n" +
            $"M 100644 inline {path}\ndata {Encoding.UTF8.GetByteCount(content)}\n{content}\n";
    }

    private void FastImport(string repo, byte[] stream)
        => ProcessRunner.Run("git", ["fast-import", "--quiet"], _sandbox.PathOf(repo), _sandbox.Environment, stream).EnsureSuccess("fast-import");

    private Process Start(string file, params string[] args)
    {
        var process = ProcessRunner.Start(file, args, _sandbox.Root, _sandbox.Environment);
        _processes.Add(process);
        return process;
    }
}
