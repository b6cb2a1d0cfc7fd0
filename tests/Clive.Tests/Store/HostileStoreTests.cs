using System.Security.Cryptography;
using Clive.Store;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>
/// One error policy for all four executables: a store SQLite cannot use is one "fatal:" line that
/// names the store's file and a non-zero exit, never a stack trace, and the file is left as it was;
/// with CLIVE_TRACE=1 the stack follows.
/// </summary>
public sealed class HostileStoreTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var executable in new[] { "clive", "clive-engine", "clive-fs", "git-remote-clive" })
            foreach (var store in new[] { "garbage", "foreign-sqlite" })
                data.Add(executable, store);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void HostileStore_IsOneFatalLine_NamingTheFile_AndLeftAsItWas(string executable, string store)
    {
        var database = MakeHostileStore(store);
        var before = SHA256.HashData(File.ReadAllBytes(database));

        var result = Run(executable);

        Assert.Equal(128, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("Cloning into", StringComparison.Ordinal)).ToList();
        var fatal = Assert.Single(lines);
        Assert.StartsWith("fatal: ", fatal);
        Assert.Contains(database, fatal);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(database)));
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void HostileStore_WithCliveTrace_ShowsTheStack(string executable, string store)
    {
        MakeHostileStore(store);
        _sandbox.Environment["CLIVE_TRACE"] = "1";

        var result = Run(executable);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("fatal: ", result.Stderr);
        Assert.Contains("   at Clive.", result.Stderr);
    }

    /// <summary>A store.db that is not a SQLite file at all, or a SQLite file that is not clive's (its tables clash with clive's schema).</summary>
    private string MakeHostileStore(string kind)
    {
        Directory.CreateDirectory(_sandbox.StoreDirectory);
        var database = Path.Combine(_sandbox.StoreDirectory, StoreLocation.DatabaseFileName);
        if (kind == "garbage")
        {
            File.WriteAllBytes(database, RandomNumberGenerator.GetBytes(8192));
        }
        else
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE repos(something_else TEXT)";
            command.ExecuteNonQuery();
        }
        // Private, as clive makes a store: the only line on stderr is then the fatal one.
        File.SetUnixFileMode(_sandbox.StoreDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(database, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return database;
    }

    private ProcessResult Run(string executable)
    {
        switch (executable)
        {
            case "clive":
                return _sandbox.Clive("refs", "demo");
            case "clive-engine":
                return ProcessRunner.Run(Binaries.CliveEngine, ["up", "--repo", "demo"], _sandbox.Root, _sandbox.Environment);
            case "clive-fs":
                // clive-fs first checks FUSE and the mountpoint; only then does it reach the store.
                Skip.IfNot(File.Exists("/dev/fuse"), "FUSE is not available (/dev/fuse)");
                Directory.CreateDirectory(_sandbox.PathOf("mnt"));
                return _sandbox.CliveFs("demo", "mnt");
            default:
                // git runs the helper, which serves the local store in its own process; git prints
                // the helper's ERR packet as its one "fatal: remote error: …" line.
                return _sandbox.Git("", "clone", GitSandbox.Url("demo"), "copy");
        }
    }
}
