using System.Diagnostics;

namespace Clive.Progress;

/// <summary>
/// Git-style progress ("Counting objects:  42% (420/1000)\r" … ", done.\n"), throttled so that a
/// fast loop does not flood the terminal; lines go wherever <paramref name="emit"/> sends them
/// (stderr, or a sideband channel that git prints as "remote: …").
/// </summary>
public sealed class ProgressMeter(string title, long total, Action<string> emit)
{
    private static readonly long Interval = Stopwatch.Frequency / 10;
    private long _lastEmit = Stopwatch.GetTimestamp();
    private long _count;

    public static ProgressMeter? Start(string title, long total, Action<string>? emit)
        => emit is null ? null : new ProgressMeter(title, total, emit);

    public void Report(long count)
    {
        _count = count;
        long now = Stopwatch.GetTimestamp();
        if (now - _lastEmit < Interval) return;
        _lastEmit = now;
        emit(Line() + "\r");
    }

    public void Increment() => Report(_count + 1);

    public void Done(string? suffix = null)
    {
        if (total > 0) _count = total;
        emit(Line() + ", done" + (suffix is null ? "" : ", " + suffix) + ".\n");
    }

    private string Line() => total > 0
        ? $"{title}: {_count * 100 / Math.Max(total, 1),3}% ({_count}/{total})"
        : $"{title}: {_count}";
}
