using System.Text.RegularExpressions;
using Clive.Engine.Evaluation;
using Clive.Engine.Execution;
using Clive.Engine.Results;
using Clive.Git;
using Clive.Packs;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// What a cell's run waits for on disk: nothing for its result, its run record or the status
/// board, but one fsync of the store's log for every status flush that says a cell is done: it
/// makes every result since the last flush durable first (each fsync cost a millisecond or more,
/// and a dependent waited for its input's).
/// </summary>
public sealed partial class EngineDiskWaitTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void AChainOfCellsSyncsTheStoreOncePerResult()
    {
        Skip.If(!File.Exists("/usr/bin/strace"), "strace is not installed");
        const int cells = 12;
        var model = string.Join("\n", Enumerable.Range(0, cells).Select(i => i == 0
            ? """var c0 = Cells.Command("c0").Files("a.txt").Run("cp a.txt $CLIVE_OUT/x");"""
            : $$"""var c{{i}} = Cells.Command("c{{i}}").From(c{{i - 1}}, "prev").Run("cp prev/x $CLIVE_OUT/x");"""));
        _sandbox.NewRepo("work", ("a.txt", "a\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        var names = Enumerable.Range(0, cells).Select(i => $"c{i}").ToArray();
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, names);
        engine.WaitIdle("demo");

        // Every thread of the running engine, from before the change until its chain is done.
        var log = _sandbox.PathOf("fsyncs.log");
        using var strace = ProcessRunner.Start("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync", "-o", log, "-p", engine.Pid.ToString()],
            _sandbox.Root, _sandbox.Environment);
        var attached = false; // "strace: Process N attached with M threads"; threads started later are followed too
        strace.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("attached") == true) Volatile.Write(ref attached, true); };
        strace.BeginErrorReadLine();
        engine.Wait(() => Volatile.Read(ref attached), "strace to attach to the engine");

        _sandbox.Commit("work", "a.txt", "b\n");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        engine.WaitAtCommit("demo", _sandbox.RevParse("work", "HEAD"), CellState.Succeeded, names);
        engine.WaitIdle("demo");
        ProcessRunner.Run("kill", ["-INT", strace.Id.ToString()], _sandbox.Root, _sandbox.Environment);
        Assert.True(strace.WaitForExit(TimeSpan.FromSeconds(30)), "strace to detach");

        // A result does not wait for the disk: the status flush that says it is done does, and
        // syncs every result since the last with one fsync. So at most one per result (more
        // share one when they come faster than the flushes), a few for the evaluation of the
        // push, and at least one: the last result is durable before its status says done.
        var syncs = File.ReadLines(log).Count(line => WalSync().IsMatch(line));
        Assert.InRange(syncs, 1, cells + 4);
    }

    [SkippableFact]
    public void ResultsWaitForTheDiskOnlyWhenAStatusSaysTheyAreDone_AllWithOneSync()
    {
        Skip.If(!File.Exists("/usr/bin/strace"), "strace is not installed");
        _sandbox.NewRepo("work", ("a.txt", "a\n"));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engineStore = new EngineStore(_sandbox.OpenStore());
        var writer = new ResultWriter(engineStore);
        using var board = new StatusBoard(engineStore);
        var wal = engineStore.Store.DatabasePath + "-wal";
        // The board's connection opened (its first use syncs the store's log) before the count starts.
        board.Set(new CellStatus("demo", "refs/heads/main", "c0", CellState.Queued, null, null, null, null, null, null, null, null, null, null, null));
        board.Flush();

        // This process's threads, while it stores five results one after another (as a chain does), then flushes the status.
        var log = _sandbox.PathOf("fsyncs.log");
        var marker = _sandbox.PathOf("results-stored");
        using var strace = ProcessRunner.Start("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync,mkdir", "-o", log, "-p", Environment.ProcessId.ToString()],
            _sandbox.Root, _sandbox.Environment);
        var attached = false;
        strace.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("attached") == true) Volatile.Write(ref attached, true); };
        strace.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Volatile.Read(ref attached) && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.True(Volatile.Read(ref attached), "strace did not attach");

        CellResult? last = null;
        for (var i = 0; i < 5; i++)
        {
            byte[] key = [(byte)i, 1, 2, 3];
            var run = engineStore.Write(s => s.Store.WithoutWaitingForDisk(() => s.Store.Cells.BeginRun("demo", "refs/heads/main", $"c{i}", key, 0, DateTimeOffset.UtcNow)));
            last = writer.Save($"c{i}", key, new RunOutcome(true, 0, null, null, [], [], TimeSpan.FromMilliseconds(1), new NewObjectsPack()), run);
        }
        Directory.CreateDirectory(marker); // in the trace: what comes after it is the flush
        board.Set(StatusBoard.FromResult("demo", "refs/heads/main", ObjectId.Parse(_sandbox.RevParse("work", "HEAD")), last!));
        board.Flush();
        Signals.Send(strace.Id, Signals.Interrupt); // not a forked kill: strace -f would trace it
        Assert.True(strace.WaitForExit(TimeSpan.FromSeconds(30)), "strace to detach");

        var lines = File.ReadAllLines(log);
        var split = Array.FindIndex(lines, line => line.Contains(marker, StringComparison.Ordinal));
        Assert.True(split >= 0, "the marker is in the trace");
        int Syncs(IEnumerable<string> part) => part.Count(line => WalSync().IsMatch(line) && line.Contains(wal, StringComparison.Ordinal));
        Assert.Equal(0, Syncs(lines.Take(split)));
        Assert.Equal(1, Syncs(lines.Skip(split)));
        Assert.Equal(last!.Commit.ToString(), _sandbox.StoreRef("demo", "refs/clive/cells/main/c4"));
    }

    // A sync another thread's system call interrupts is traced in two lines, "fsync(12</…-wal> <unfinished ...>"
    // and "<... fsync resumed>) = 0": the first names the file, so it is the one counted.
    [GeneratedRegex(@"f(data)?sync\(\d+<[^>]*-wal>(\)| <unfinished)")]
    private static partial Regex WalSync();
}
