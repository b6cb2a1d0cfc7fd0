using System.Diagnostics;

namespace Clive.Tests.Fixtures;

/// <summary>Waiting on a signal rather than for a fixed time: a condition checked every few milliseconds, with a deadline.</summary>
public static class Poll
{
    /// <summary>Returns as soon as <paramref name="condition"/> holds; fails the test, saying what never happened (and <paramref name="context"/>), at the deadline.</summary>
    public static void Until(Func<bool> condition, string what, double seconds = 30, Func<string>? context = null)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(seconds))
                throw new Xunit.Sdk.XunitException($"timed out after {seconds} s waiting for {what}{(context is null ? "" : "\n" + context())}");
            Thread.Sleep(20);
        }
    }
}
