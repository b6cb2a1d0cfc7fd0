namespace Clive;

/// <summary>
/// The one policy by which errors become output, for all four executables (<c>clive</c>,
/// <c>clive-engine</c>, <c>clive-fs</c>, <c>git-remote-clive</c>) and the pack protocol's ERR
/// packets: a user's problem is one <c>fatal: …</c> line and exit 128, as git does; its stack
/// only with <c>CLIVE_TRACE=1</c>. Anything else is a bug and escapes with its stack.
/// </summary>
public static class ErrorPolicy
{
    public const int FatalExitCode = 128;

    public static bool Tracing => Environment.GetEnvironmentVariable("CLIVE_TRACE") == "1";

    /// <summary>
    /// Errors a user can cause or fix: a bad name or argument (<see cref="CliveException"/>), a
    /// store SQLite cannot use, a full disk or a closed pipe, a file without permission.
    /// </summary>
    public static bool IsUsersProblem(Exception e)
        => e is CliveException or Microsoft.Data.Sqlite.SqliteException or IOException or UnauthorizedAccessException;

    /// <summary>Runs an executable's body: a user's problem becomes <see cref="Fatal"/>, a bug escapes.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsUsersProblem(e))
        {
            return Fatal(e);
        }
    }

    /// <summary>Prints one <c>fatal:</c> line (and, when tracing, the stack) and returns the exit code to use.</summary>
    public static int Fatal(Exception e)
    {
        Console.Error.WriteLine("fatal: " + e.Message);
        WriteStackIfTracing(e);
        return FatalExitCode;
    }

    /// <summary>For errors reported some other way (an ERR packet to git): the stack, when tracing.</summary>
    public static void WriteStackIfTracing(Exception e)
    {
        if (Tracing) Console.Error.WriteLine(e);
    }
}
