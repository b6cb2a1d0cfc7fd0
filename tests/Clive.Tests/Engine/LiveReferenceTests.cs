using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Live references to cells' results (<c>$cell</c>) and to refs (<c>$ref</c>), end to end with a real
/// `clive up`: a cell that follows one runs again when its target moves, and only then; a cycle
/// through references of both kinds is reported; `clive why` names the followed target that changed.
/// (Follows the pusher may not read: ModelTrustTests.)
/// </summary>
public sealed class LiveReferenceTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private void PushModel(string model, params (string Path, string Content)[] files)
    {
        _sandbox.NewRepo("work", [.. files, ("clive.csx", model)]);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private void Push(string path, string content)
    {
        _sandbox.Commit("work", path, content);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private string Fetched(string rev) => _sandbox.ShowFetched("work", "demo", rev);

    [Fact]
    public void ACellFollowingACellsResultRunsWhenItsValueChanges_NotWhenItStaysTheSame_NorForAnotherCell()
    {
        PushModel("""
            record Board(CellRef<int> Size);
            var board = Cells.Entity<Board>("board");
            Cells.Compute("size", ctx => ctx.ReadText("a.txt").Trim().Length).Files("a.txt");
            Cells.Compute("other", ctx => ctx.ReadText("b.txt")).Files("b.txt");
            Cells.Compute("report", ctx => "size " + ctx.Follow(ctx.Entity(board)!.Size)).Reads(board);
            """, ("a.txt", "abc\n"), ("b.txt", "b\n"));
        EntityWriter.Set(_sandbox, "demo", "board", new Dictionary<string, object?> { ["Size"] = new Dictionary<string, object?> { ["$cell"] = "demo@main:size" } });
        using var engine = new EngineProcess(_sandbox);
        // report may run before size's first result is published (it then fails, following nothing yet there) and again once it is.
        engine.Wait(() => Fetched("refs/clive/cells/main/report:value.json").Trim() == "\"size 3\"", "report to follow size's first value");
        engine.WaitIdle("demo");
        var before = engine.Runs("demo");

        Push("a.txt", "xyz\n"); // size runs again, with the same value: report does not
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("size") == before["size"] + 1, "size to run on the new a.txt");
        Push("b.txt", "c\n"); // another cell's value changes: report does not run either
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("other") == before["other"] + 1, "other to run on the new b.txt");
        engine.WaitIdle("demo");
        Assert.Equal(before["report"], engine.Runs("demo")["report"]);

        Push("a.txt", "abcd\n");
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("report") == before["report"] + 1, "report to run on size's new value");
        engine.WaitIdle("demo");
        Assert.Equal(before["report"] + 1, engine.Runs("demo")["report"]);
        Assert.Equal("\"size 4\"", Fetched("refs/clive/cells/main/report:value.json").Trim());
        Assert.Matches("changed  cell demo@main:size: value [0-9a-f]{64} -> value [0-9a-f]{64}\n", _sandbox.Clive("why", "report").EnsureSuccess("clive why").Stdout);
    }

    [Fact]
    public void ACellFollowingARefRunsWhenTheRefMoves_AndReadsTheFilesOfItsCommit()
    {
        _sandbox.NewRepo("lib", ("version.txt", "1\n"));
        _sandbox.GitOk("lib", "push", "-q", GitSandbox.Url("lib"), "main");
        PushModel("""
            record Pin(GitRef Source);
            var pin = Cells.Entity<Pin>("pin");
            Cells.Compute("pinned", ctx =>
            {
                var lib = ctx.Follow(ctx.Entity(pin)!.Source, "*.txt");
                return lib.Commit[..7] + " " + lib.ReadText("version.txt").Trim();
            }).Reads(pin);
            """);
        EntityWriter.Set(_sandbox, "demo", "pin", new Dictionary<string, object?> { ["Source"] = new Dictionary<string, object?> { ["$ref"] = "lib:main" } });
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "pinned");
        Assert.Equal($"\"{_sandbox.RevParse("lib", "HEAD")[..7]} 1\"", Fetched("refs/clive/cells/main/pinned:value.json").Trim());

        _sandbox.Commit("lib", "version.txt", "2\n");
        _sandbox.GitOk("lib", "push", "-q", GitSandbox.Url("lib"), "main");
        engine.Wait(() => Fetched("refs/clive/cells/main/pinned:value.json").Trim() == $"\"{_sandbox.RevParse("lib", "HEAD")[..7]} 2\"",
            "pinned to run on lib's new commit");
        engine.WaitIdle("demo");
        Assert.Equal(2, engine.Runs("demo")["pinned"]);
        Assert.Matches("changed  ref lib:main: [0-9a-f]{40} -> [0-9a-f]{40}\n", _sandbox.Clive("why", "pinned").EnsureSuccess("clive why").Stdout);
    }

    [Fact]
    public void ACycleThroughAnEntityAndACellsResultIsReportedNotFollowedForever()
    {
        PushModel("""
            record Node(string Name, CellRef<Link> Next);
            record Link(EntityRef<Node> Back);
            var start = Cells.Entity<Node>("start");
            Cells.Compute("echo", ctx => new Link(start.Ref()));
            Cells.Compute("walk", ctx => ctx.Follow(ctx.Follow(ctx.Entity(start)!.Next).Back).Name).Reads(start);
            """);
        EntityWriter.Set(_sandbox, "demo", "start", new Dictionary<string, object?>
        {
            ["Name"] = "S",
            ["Next"] = new Dictionary<string, object?> { ["$cell"] = "demo@main:echo" },
        });
        using var engine = new EngineProcess(_sandbox);
        engine.Wait(() => engine.Status("demo", "walk") is { State: CellState.Failed }
            && Fetched("refs/clive/cells/main/walk:stderr").Contains("cell walk: references form a cycle: start -> cell demo@main:echo -> start"),
            "walk to report the cycle");
    }
}
