namespace Clive.Tests.Fixtures;

/// <summary>
/// Where the programs under test are: the builds next to the tests, or, when
/// <see cref="EnvironmentVariable"/> names an install (scripts/test.sh sets it to what install.sh
/// just built from the same tree), the installed ones. Installed, clive, git-remote-clive and
/// clive-fs are the ahead-of-time compiled programs users run, which start in ~20 ms of CPU where
/// the JIT builds take ~150 ms: the suite starts thousands of them.
/// </summary>
public static class Binaries
{
    public const string EnvironmentVariable = "CLIVE_TEST_BINARIES";

    public static string Directory { get; } = Choose();

    public static string Clive => Path.Combine(Directory, "clive");

    public static string CliveFs => Path.Combine(Directory, "clive-fs");

    /// <summary>The engine: next to clive in a build, in its own engine/ directory in an install (where `clive up` finds it).</summary>
    public static string CliveEngine => File.Exists(Path.Combine(Directory, "clive-engine"))
        ? Path.Combine(Directory, "clive-engine")
        : Path.Combine(Directory, "engine", "clive-engine");

    private static string Choose()
    {
        var installed = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(installed)) return AppContext.BaseDirectory.TrimEnd('/');
        // A half-made install would test something else than this tree: say so rather than fall back.
        foreach (var program in new[] { "clive", "git-remote-clive", "clive-fs", "engine/clive-engine" })
            if (!File.Exists(Path.Combine(installed, program)))
                throw new InvalidOperationException($"{EnvironmentVariable}={installed} has no {program}: run install.sh, or unset it to test the builds next to the tests");
        return installed.TrimEnd('/');
    }
}
