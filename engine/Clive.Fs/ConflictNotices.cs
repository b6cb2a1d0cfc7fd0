namespace Clive.Fs;

/// <summary>
/// The conflicts a mount reports in <c>.clive/status</c>. Each is logged when it happens and shown
/// until the user has looked at its branch through the mount (<c>.clive/refs/heads/clive-fs/…</c>)
/// or for <see cref="ShownFor"/>, whichever comes first; from then on only the mount's log has it,
/// so the status file says what still needs attention, not everything that ever happened.
/// </summary>
public sealed class ConflictNotices(Action<string> log, TimeProvider? clock = null)
{
    public static readonly TimeSpan DefaultShownFor = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly object _gate = new();
    private readonly List<(string Branch, string Message, DateTimeOffset Raised)> _shown = [];

    public TimeSpan ShownFor { get; init; } = DefaultShownFor;

    /// <summary>A conflict set aside on <paramref name="branch"/> (a full ref name).</summary>
    public void Add(string branch, string message)
    {
        lock (_gate) _shown.Add((branch, message, _clock.GetUtcNow()));
        log("conflict: " + message);
    }

    /// <summary>Something the mount did that is worth a line in its log, not in .clive/status.</summary>
    public void Log(string message) => log(message);

    /// <summary>The user looked at a ref through the mount: a conflict kept there has been seen.</summary>
    public void Seen(string refName) => Clear(n => n.Branch == refName, "its branch was opened");

    /// <summary>What .clive/status shows now.</summary>
    public IReadOnlyList<string> Current()
    {
        var expiry = _clock.GetUtcNow() - ShownFor;
        Clear(n => n.Raised <= expiry, $"shown for {ShownFor.TotalMinutes:0.#} min");
        lock (_gate) return _shown.Select(n => n.Message).ToList();
    }

    private void Clear(Func<(string Branch, string Message, DateTimeOffset Raised), bool> done, string why)
    {
        List<(string Branch, string Message, DateTimeOffset Raised)> cleared;
        lock (_gate)
        {
            cleared = _shown.Where(done).ToList();
            _shown.RemoveAll(n => done(n));
        }
        foreach (var n in cleared) log($"conflict no longer in .clive/status ({why}): {n.Message}");
    }
}
