using System.Runtime.InteropServices;

namespace Clive.Cli;

/// <summary>
/// `clive up` and `clive run` are served by clive-engine, which needs the JIT (it compiles models
/// with Roslyn) while `clive` is compiled ahead of time. clive replaces itself with it (execv), so
/// signals, exit codes and the terminal behave as if there were one program.
/// </summary>
internal static partial class EngineLauncher
{
    public const string ExecutableName = "clive-engine";

    public static readonly string[] Commands = ["up", "run"];

    /// <summary>The subcommand, skipping the global --store option, when it is one the engine serves.</summary>
    public static bool IsEngineCommand(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--store") { i++; continue; }
            if (args[i].StartsWith("--store=", StringComparison.Ordinal)) continue;
            return Commands.Contains(args[i]);
        }
        return false;
    }

    public static int Exec(string[] args)
    {
        var engine = Find() ?? throw new CliveException($"{ExecutableName} was not found next to clive or on PATH (run install.sh, or set CLIVE_ENGINE)");
        var argv = new string?[args.Length + 2];
        argv[0] = engine;
        args.CopyTo(argv, 1);
        Console.Out.Flush();
        Console.Error.Flush();
        Execv(engine, argv);
        throw new CliveException($"could not start {engine}: error {Marshal.GetLastPInvokeError()}");
    }

    private static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CLIVE_ENGINE") is { Length: > 0 } configured) return configured;
        foreach (var candidate in new[] { Path.Combine(AppContext.BaseDirectory, ExecutableName), Path.Combine(AppContext.BaseDirectory, "engine", ExecutableName) })
            if (File.Exists(candidate)) return candidate;
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(directory, ExecutableName))) return Path.Combine(directory, ExecutableName);
        return null;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, string?[] argv);
}
