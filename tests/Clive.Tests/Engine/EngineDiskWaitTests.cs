using System.Text.RegularExpressions;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// What a cell's run waits for on disk: one fsync of the store's log per result (a result is
/// durable before its ref or status says done), none for its run record or the status board,
/// which a restarted engine rebuilds (each cost a millisecond or more per cell).
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

        // A chain cannot share commits (each cell waits for the one before), so one sync per cell,
        // and a few for the evaluation of the push.
        var syncs = File.ReadLines(log).Count(line => WalSync().IsMatch(line));
        Assert.InRange(syncs, cells, cells + 4);
    }

    [GeneratedRegex(@"f(data)?sync\(\d+<[^>]*-wal>\)")]
    private static partial Regex WalSync();
}
