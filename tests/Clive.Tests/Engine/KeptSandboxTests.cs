using Clive.Engine.Sandboxing;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Cells run one after another in a sandbox kept per job slot (starting one costs tens of
/// milliseconds). What one cell leaves behind — processes, files in /tmp, /var/tmp, /dev/shm or its
/// tree, System V IPC — must be gone before the next, and no cell may reach the slot's helper.
/// </summary>
public sealed class KeptSandboxTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private void PushModel(string model)
    {
        _sandbox.NewRepo("work", [("clive.csx", model)]);
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    private string Show(string path)
    {
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("demo"), "+refs/clive/*:refs/clive/*");
        return _sandbox.GitOk("work", "show", path).Stdout;
    }

    /// <summary>The start time of the sandbox's init (pid 1): the same in two cells only if they shared a sandbox.</summary>
    private const string SandboxIdentity = "cut -d' ' -f22 /proc/1/stat > $CLIVE_OUT/sandbox";

    [Fact]
    public void TheNextCellInAKeptSandboxFindsNothingThePreviousOneLeft()
    {
        // b reads a's output, so it runs after a; they are the only cells, so one slot serves both.
        PushModel($$"""
            var a = Cells.Command("a").Run("{{SandboxIdentity}}; setsid sleep 300 </dev/null >/dev/null 2>&1 & "
                + "echo secret > /tmp/left; echo secret > /var/tmp/left; echo secret > /dev/shm/left; touch left-in-tree; ipcmk -M 4096 >/dev/null; "
                + "echo done > $CLIVE_OUT/x");
            Cells.Command("b").From(a, "a").Run("{{SandboxIdentity}}; { echo \"leftovers: $(find /tmp /var/tmp /dev/shm -mindepth 1)\"; "
                + "echo \"tree: $(ls -A)\"; echo \"shm segments: $(ipcs -m | grep -c '^0x')\"; "
                + "echo \"sleepers: $(grep -l 'slee[p] 300' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)\"; } > $CLIVE_OUT/seen");
            """);
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "a", "b");

        Assert.Equal(Show("refs/clive/cells/main/a:out/sandbox"), Show("refs/clive/cells/main/b:out/sandbox"));
        Assert.Equal("leftovers: \ntree: a\nshm segments: 0\nsleepers: 0\n", Show("refs/clive/cells/main/b:out/seen"));
    }

    [Fact]
    public void AKeptSandboxNeverServesAnotherReposCells()
    {
        // What emptying cannot reach (kernel state with no process or file) must not pass between
        // models that different people may push: a slot is kept for one repo's branch.
        PushModel($$"""Cells.Command("a").Run("{{SandboxIdentity}}; echo demo");""");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "a");
        // Another key (else the cache would answer), so the cell runs, in a slot the first run left idle.
        _sandbox.Commit("work", "clive.csx", $$"""Cells.Command("a").Run("{{SandboxIdentity}}; echo other");""");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("other"), "main");
        engine.WaitForCells("other", CellState.Succeeded, "a");

        string Sandbox(string repo)
        {
            _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url(repo), $"+refs/clive/cells/main/a:refs/{repo}/a");
            return _sandbox.GitOk("work", "show", $"refs/{repo}/a:out/sandbox").Stdout;
        }
        Assert.NotEqual(Sandbox("demo"), Sandbox("other"));
    }

    [Fact]
    public void ACellCanNeitherReadNorTraceTheKeptSandboxsHelper()
    {
        PushModel("""
            Cells.Command("spy").Run("tr '\\0' ' ' < /proc/2/cmdline > $CLIVE_OUT/who; "
                + "if cat /proc/2/environ >/dev/null 2>&1; then echo readable; else echo denied; fi > $CLIVE_OUT/environ");
            """);
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "spy");

        Assert.StartsWith("/clive/.slot/sh -c", Show("refs/clive/cells/main/spy:out/who"));
        Assert.Equal("denied\n", Show("refs/clive/cells/main/spy:out/environ"));
    }

    [Fact]
    public void ACellThatKillsEverythingItCanEndsItsSlot_AndRunsAgainInASandboxOfItsOwn()
    {
        PushModel("""Cells.Command("killer").Run("kill -9 -1; echo survived > $CLIVE_OUT/x");""");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "killer");

        Assert.Equal("survived\n", Show("refs/clive/cells/main/killer:out/x"));
    }

    [Fact]
    public void ThePoolForgetsADomainOnceItsSlotsAreBack()
    {
        // Each repo's branch is a domain of its own: an engine that lives for months sees thousands.
        var work = _sandbox.PathOf("slots");
        Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var pool = new SlotPool(new Sandbox([]), work, _ => { }, slotsPerDomain: 1);
        foreach (var domain in new[] { "a\nmain", "b\nmain", "c\nmain" })
        {
            var slot = pool.Rent(domain, CancellationToken.None)!;
            Assert.NotNull(slot);
            Assert.Equal(0, slot.Run("exit 0\n", CancellationToken.None).ExitCode);
            pool.Return(slot);
            // Renting again waits until the slot is emptied and idle again (the same slot comes back).
            var again = pool.Rent(domain, CancellationToken.None);
            Assert.Same(slot, again);
            Assert.Equal(0, pool.DomainsBeingEmptied);
            again!.Dispose(); // not returned: the next domain's check sees no slot of this one being emptied

        }
    }

    [Theory]
    [InlineData("cp prev/x $CLIVE_OUT/x", true)]
    [InlineData("cc -o ${CLIVE_OUT}/app main.c", true)]
    [InlineData("true", true)]                      // the program does what the builtin does
    [InlineData("exit 3", false)]                   // a builtin: exec would find no program
    [InlineData("cd sub", false)]
    [InlineData("A=1 make", false)]                 // an assignment, not a program
    [InlineData("cp *.txt $CLIVE_OUT", false)]      // a glob
    [InlineData("echo $1 $$", false)]               // special parameters differ in the helper's shell
    [InlineData("cp a b; rm a", false)]
    [InlineData("cp 'a b' c", false)]
    [InlineData("cp a b > log", false)]
    public void OnlyASingleSimpleCommandIsExecdWithoutASecondShell(string script, bool simple)
    {
        Assert.Equal(simple, SlotHelper.IsSimpleCommand(script));
        var run = SlotHelper.RunFile("/clive/tree", new Dictionary<string, string> { ["CLIVE_OUT"] = "/clive/out" }, [script], shell: true)!;
        Assert.EndsWith(simple ? $"exec {script}\n" : $"exec /bin/sh -c {SlotHelper.Quote(script)}\n", run);
    }

    [Fact]
    public void TheRunFileQuotesEverythingItPassesOn()
    {
        var run = SlotHelper.RunFile("/clive/tree/it's", new Dictionary<string, string> { ["V"] = "a'b $c" }, ["prog", "x'y", "$HOME"], shell: false);
        Assert.Equal("cd '/clive/tree/it'\\''s' || exit 127\nexport V='a'\\''b $c'\nexec 'prog' 'x'\\''y' '$HOME'\n", run);
        Assert.Null(SlotHelper.RunFile("/clive/tree", new Dictionary<string, string> { ["NOT-A-NAME"] = "1" }, ["true"], shell: false));
    }
}
