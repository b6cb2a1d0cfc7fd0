using System.Text;
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

        Assert.StartsWith("/clive/.slot/clive-slot ", Show("refs/clive/cells/main/spy:out/who"));
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
            Assert.Equal(0, slot.Run(SlotHelper.Request("/", new Dictionary<string, string>(), ["true"], shell: false)!, CancellationToken.None).ExitCode);
            pool.Return(slot);
            // Renting again waits until the slot is emptied and idle again (the same slot comes back).
            var again = pool.Rent(domain, CancellationToken.None);
            Assert.Same(slot, again);
            Assert.Equal(0, pool.DomainsBeingEmptied);
            again!.Dispose(); // not returned: the next domain's check sees no slot of this one being emptied

        }
    }

    [Fact]
    public void TheHelperRunsEachRequestInItsDirectoryWithItsEnvironment_AndSaysWhenAProgramIsMissing()
    {
        var work = _sandbox.PathOf("slots");
        Directory.CreateDirectory(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var pool = new SlotPool(new Sandbox([]), work, _ => { }, slotsPerDomain: 1);
        var slot = pool.Rent("demo\nmain", CancellationToken.None)!;
        var environment = new Dictionary<string, string> { ["V"] = "a'b $c", ["PATH"] = "/nowhere:/usr/bin" };
        var run = slot.Run(SlotHelper.Request("/clive/out", environment, ["sh", "-c", "pwd; echo \"$V\"; echo \"$HOME\" >&2; exit 3"], shell: false)!,
            CancellationToken.None);
        Assert.Equal((3, "/clive/out\na'b $c\n", "/tmp\n"), (run.ExitCode, Encoding.UTF8.GetString(run.Stdout), Encoding.UTF8.GetString(run.Stderr)));
        Assert.True(slot.TryReset());

        run = slot.Run(SlotHelper.Request("/", environment, ["no-such-program", "x"], shell: false)!, CancellationToken.None);
        Assert.Equal((127, "clive: no-such-program: not found\n"), (run.ExitCode, Encoding.UTF8.GetString(run.Stderr)));
        Assert.True(slot.TryReset());

        run = slot.Run(SlotHelper.Request("/", environment, ["sh", "-c", "kill -TERM $$"], shell: false)!, CancellationToken.None);
        Assert.Equal(128 + 15, run.ExitCode);
        Assert.True(slot.TryReset());

        // A script without a #! line runs under /bin/sh, as a shell's exec would run it.
        File.WriteAllText(Path.Combine(slot.Output, "script"), "echo \"from a script: $1\"\n");
        File.SetUnixFileMode(Path.Combine(slot.Output, "script"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
        run = slot.Run(SlotHelper.Request("/", environment, ["/clive/out/script", "x"], shell: false)!, CancellationToken.None);
        Assert.Equal((0, "from a script: x\n"), (run.ExitCode, Encoding.UTF8.GetString(run.Stdout)));
        slot.Dispose();
    }

    [Fact]
    public void TheHelperRefusesToRunOutsideASandbox()
    {
        // Outside a pid namespace of its own, its kill(-1) after each cell would end every process of the user.
        var result = ProcessRunner.Run(SlotHelper.Binary, ["/dev/null", "/dev/null"], _sandbox.Root, _sandbox.Environment);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("cp prev/x $CLIVE_OUT/x", "cp|prev/x|/clive/out/x")]
    [InlineData("cc -o ${CLIVE_OUT}/app  main.c ", "cc|-o|/clive/out/app|main.c")]
    [InlineData("true", "true")]                     // the program does what the builtin does
    [InlineData("touch $EMPTY x", "touch|x")]        // an unquoted empty expansion is no word
    [InlineData("exit 3", null)]                     // a builtin: there is no such program
    [InlineData("cd sub", null)]
    [InlineData("A=1 make", null)]                   // an assignment, not a program
    [InlineData("cp *.txt $CLIVE_OUT", null)]        // a glob
    [InlineData("echo $1 $$", null)]                 // special parameters
    [InlineData("cat $PWD/x", null)]                 // the shell's own variables: not the cell's to expand
    [InlineData("cp $SPACED x", null)]               // the shell would split the value
    [InlineData("cp $STAR x", null)]                 // and glob it
    [InlineData("cp a b; rm a", null)]
    [InlineData("cp 'a b' c", null)]
    [InlineData("cp a b > log", null)]
    public void OnlyASingleSimpleCommandRunsWithoutAShell_ItsWordsExpandedAsTheShellWould(string script, string? words)
    {
        var environment = new Dictionary<string, string> { ["CLIVE_OUT"] = "/clive/out", ["EMPTY"] = "", ["SPACED"] = "a b", ["STAR"] = "*.c" };
        Assert.Equal(words, SlotHelper.SimpleCommandWords(script, environment) is { } found ? string.Join('|', found) : null);
        Assert.Equal(words?.Split('|') ?? ["/bin/sh", "-c", script], Decode(SlotHelper.Request("/clive/tree", environment, [script], shell: true)!).Argv);
    }

    [Fact]
    public void TheRequestFramesEverythingItPassesOn()
    {
        var request = SlotHelper.Request("/clive/tree/it's", new Dictionary<string, string> { ["V"] = "a'b $c\nd" }, ["prog", "x y", "$HOME", ""], shell: false)!;
        Assert.Equal(request.Length - 4, BitConverter.ToInt32(request, 0));
        var (directory, environment, argv) = Decode(request);
        Assert.Equal("/clive/tree/it's", directory);
        Assert.Equal(["V=a'b $c\nd"], environment);
        Assert.Equal(["prog", "x y", "$HOME", ""], argv);
        Assert.Null(SlotHelper.Request("/clive/tree", new Dictionary<string, string> { ["A=B"] = "1" }, ["true"], shell: false));
        Assert.Null(SlotHelper.Request("/clive/tree", new Dictionary<string, string>(), ["echo", "a\0b"], shell: false));
    }

    private static (string Directory, string[] Environment, string[] Argv) Decode(byte[] request)
    {
        var strings = Encoding.UTF8.GetString(request, 4, request.Length - 5).Split('\0'); // each string ends in NUL, the last one too
        var count = int.Parse(strings[1], System.Globalization.CultureInfo.InvariantCulture);
        return (strings[0], strings[2..(2 + count)], strings[(2 + count)..]);
    }
}
