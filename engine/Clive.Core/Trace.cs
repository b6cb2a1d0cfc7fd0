using System.Diagnostics;

namespace Clive;

/// <summary>
/// Opt-in timing lines on stderr (<c>CLIVE_TRACE=1</c>), for finding where a slow operation
/// spends its time. Off by default: a remote helper's stderr is the user's terminal.
/// </summary>
public static class Trace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("CLIVE_TRACE") == "1";
    private static readonly long Start = Stopwatch.GetTimestamp();

    public static void Write(string message)
    {
        if (!Enabled) return;
        Console.Error.WriteLine($"trace: {Stopwatch.GetElapsedTime(Start).TotalMilliseconds,8:F1} ms {message}");
    }
}
