namespace Clive.Engine.Sandboxing;

/// <summary>A host directory shown inside the sandbox, writable, at <paramref name="Inside"/>.</summary>
public sealed record SandboxBind(string Host, string Inside);

/// <summary>What one sandboxed process may touch beyond the system's programs and libraries.</summary>
/// <param name="Writable">Directories it may write: a cell's inputs and output directory, shown at fixed paths.</param>
/// <param name="Network">Whether it shares the host's network; otherwise it has none at all (not even loopback to the host).</param>
/// <param name="WorkingDirectory">Where it starts, as seen inside.</param>
/// <param name="Readable">More paths it may read (bound read-only at the same path): the engine's own files, for the model host.</param>
public sealed record SandboxSpec(IReadOnlyList<SandboxBind> Writable, bool Network, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<string>? Readable = null);

/// <summary>
/// Runs model code (commands, services, the model host) under bubblewrap: new user, pid, ipc, uts,
/// cgroup and network namespaces, no capabilities, and a root of its own in which only the
/// system's programs (<c>/usr</c> and the links to it), a few harmless files of <c>/etc</c>, the
/// directories the run needs and the tool paths the engine's owner named are visible. The store,
/// home directories, <c>/etc/ssh</c>, other repos' work and other processes are not there at all.
/// </summary>
public sealed class Sandbox(IReadOnlyList<string> tools)
{
    public const string Program = "bwrap";

    /// <summary>
    /// Where a cell's inputs and output directory appear inside: the same paths on every run and
    /// every machine, so tools that embed paths (compilers, PDBs) produce the same bytes, and
    /// nothing of the engine's own layout (the store's path) is visible.
    /// </summary>
    public const string TreeInside = "/clive/tree";
    public const string OutputInside = "/clive/out";

    /// <summary>What a sandboxed process sees of /etc: name resolution, users, libraries, certificates, time. Never keys or secrets.</summary>
    private static readonly string[] EtcEntries =
    [
        "passwd", "group", "nsswitch.conf", "hosts", "host.conf", "resolv.conf", "gai.conf", "protocols", "services",
        "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl", "ca-certificates", "ca-certificates.conf",
        "localtime", "timezone", "mime.types", "os-release", "debian_version", "dotnet", "gitconfig",
    ];

    private static readonly string[] RootEntries = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

    /// <summary>
    /// The system's part of every sandbox: /bin, /lib… as they are here (links into /usr on a
    /// merged-/usr system, directories elsewhere) and the /etc entries. Looked at once per engine,
    /// not once per cell.
    /// </summary>
    private static readonly Lazy<string[]> SystemView = new(() =>
    {
        var args = new List<string>();
        foreach (var entry in RootEntries)
        {
            var path = "/" + entry;
            if (new FileInfo(path).LinkTarget is { } target) args.AddRange(["--symlink", target, path]);
            else if (Directory.Exists(path)) args.AddRange(["--ro-bind", path, path]);
        }
        foreach (var entry in EtcEntries) args.AddRange(["--ro-bind-try", "/etc/" + entry, "/etc/" + entry]);
        return [.. args];
    });

    /// <summary>Read-only paths every sandbox shows besides the system's (the owner's <c>clive up --tool</c>).</summary>
    public IReadOnlyList<string> Tools { get; } = tools;

    /// <summary>The command line that runs <paramref name="command"/> inside the sandbox.</summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> command, SandboxSpec spec)
    {
        var args = Namespaces(spec.Network);
        args.AddRange(["--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]);
        return Finish(args, spec, command);
    }

    /// <summary>
    /// The command line of a sandbox kept for many cells (<see cref="SandboxSlot"/>): every place a
    /// cell can write is a host directory of the slot, so the engine can empty it between cells —
    /// /tmp, /var/tmp, /dev/shm, besides the tree and the output in <paramref name="spec"/> — the
    /// rest of /dev is read-only, and POSIX message queues are a mount the helper can empty.
    /// </summary>
    public IReadOnlyList<string> WrapSlot(IReadOnlyList<string> command, SandboxSpec spec, string tmp, string varTmp, string shm)
    {
        var args = Namespaces(spec.Network);
        args.AddRange(["--dev", "/dev", "--bind", shm, "/dev/shm", "--mqueue", "/dev/mqueue", "--remount-ro", "/dev",
            "--bind", tmp, "/tmp", "--bind", varTmp, "/var/tmp"]);
        return Finish(args, spec, command);
    }

    private static List<string> Namespaces(bool network)
    {
        // No --die-with-parent: its PR_SET_PDEATHSIG fires when the *thread* that started bwrap
        // exits, and .NET starts processes from pool threads that come and go (builds died with
        // 137). A command's process group is what stops it: setsid puts bwrap and everything in
        // the sandbox in one group, killed after a run, on cancel, and by the next engine after a kill -9.
        // --cap-drop ALL: an engine run as root would otherwise hand its cells root's capabilities
        // inside their namespaces (enough to ptrace another process of the same sandbox).
        var args = new List<string> { Program, "--unshare-all", "--clearenv", "--cap-drop", "ALL", "--ro-bind", "/usr", "/usr", "--proc", "/proc" };
        if (network) args.Add("--share-net");
        return args;
    }

    private List<string> Finish(List<string> args, SandboxSpec spec, IReadOnlyList<string> command)
    {
        args.AddRange(SystemView.Value);
        foreach (var tool in Tools) args.AddRange(["--ro-bind", tool, tool]);
        foreach (var path in spec.Readable ?? []) args.AddRange(["--ro-bind", path, path]);
        foreach (var bind in spec.Writable) args.AddRange(["--bind", bind.Host, bind.Inside]);
        // The root bwrap builds the rest on is a tmpfs: read-only too, once everything is in place.
        args.AddRange(["--remount-ro", "/"]);
        args.AddRange(["--chdir", spec.WorkingDirectory]);
        foreach (var (name, value) in BaseEnvironment) args.AddRange(["--setenv", name, value]);
        foreach (var (name, value) in spec.Environment) args.AddRange(["--setenv", name, value]);
        // .NET ignores SIGPIPE, and ignored signals stay ignored across exec: `yes | head` would
        // then print "Broken pipe" instead of ending quietly. Every signal back to its default.
        args.AddRange(["--", "/usr/bin/env", "--default-signal"]);
        args.AddRange(command);
        return args;
    }

    /// <summary>
    /// A clean environment: nothing of the engine's leaks in (its store path, tokens, SSH agent).
    /// HOME is the sandbox's own /tmp, so tools that keep caches there (dotnet, pip) work.
    /// </summary>
    /// <summary>The same clean environment, for executors that run a cell elsewhere (a REAPI farm).</summary>
    internal static IReadOnlyList<(string Name, string Value)> CleanEnvironment => BaseEnvironment;

    private static readonly (string, string)[] BaseEnvironment =
    [
        ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        ("HOME", "/tmp"),
        ("TMPDIR", "/tmp"),
        ("LANG", "C.UTF-8"),
        ("DOTNET_CLI_TELEMETRY_OPTOUT", "1"),
        ("DOTNET_NOLOGO", "1"),
        ("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1"),
    ];

    /// <summary>Checks that tool paths are absolute, existing directories or files, and never the store.</summary>
    public static IReadOnlyList<string> ValidateTools(IEnumerable<string> tools, string storeDirectory)
    {
        var store = Path.GetFullPath(storeDirectory).TrimEnd('/') + "/";
        var valid = new List<string>();
        foreach (var tool in tools)
        {
            if (!Path.IsPathFullyQualified(tool)) throw new UsageException($"--tool {tool}: give an absolute path");
            var full = Path.GetFullPath(tool).TrimEnd('/');
            if (full.Length == 0) throw new UsageException("--tool /: a sandbox that shows the whole machine is no sandbox");
            if (!Directory.Exists(full) && !File.Exists(full)) throw new UsageException($"--tool {tool}: no such file or directory");
            if (store.StartsWith(full + "/", StringComparison.Ordinal) || (full + "/").StartsWith(store, StringComparison.Ordinal))
                throw new UsageException($"--tool {tool}: it would show the store to every cell");
            valid.Add(full);
        }
        return valid;
    }

    /// <summary>Fails with one line when bubblewrap is missing or cannot make namespaces here.</summary>
    public static void EnsureAvailable()
    {
        var probe = new Sandbox([]).Wrap(["true"], new SandboxSpec([], false, "/", new Dictionary<string, string>()));
        var info = new System.Diagnostics.ProcessStartInfo(probe[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in probe.Skip(1)) info.ArgumentList.Add(argument);
        try
        {
            using var process = System.Diagnostics.Process.Start(info)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new CliveException($"cells run sandboxed with bubblewrap, which does not work here: {error.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new CliveException("cells run sandboxed with bubblewrap (bwrap), which is not installed: apt-get install bubblewrap");
        }
    }
}
