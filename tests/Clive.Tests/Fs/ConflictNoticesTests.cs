using Clive.Fs;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>How long a conflict stays in .clive/status, on a clock the test moves.</summary>
public sealed class ConflictNoticesTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void AConflict_IsShownForTenMinutes_ThenOnlyTheLogHasIt()
    {
        var clock = new ManualClock();
        var log = new List<string>();
        var notices = new ConflictNotices(log.Add, clock);

        notices.Add("refs/heads/clive-fs/conflict-1", "a.txt changed on refs/heads/main too");
        clock.Now += TimeSpan.FromMinutes(9);
        Assert.Equal(["a.txt changed on refs/heads/main too"], notices.Current());

        clock.Now += TimeSpan.FromMinutes(1);
        Assert.Empty(notices.Current());
        Assert.Equal(["conflict: a.txt changed on refs/heads/main too",
            "conflict no longer in .clive/status (shown for 10 min): a.txt changed on refs/heads/main too"], log);
    }

    [Fact]
    public void OpeningAConflictBranch_ClearsOnlyItsOwnConflict()
    {
        var log = new List<string>();
        var notices = new ConflictNotices(log.Add, new ManualClock());
        notices.Add("refs/heads/clive-fs/conflict-1", "first");
        notices.Add("refs/heads/clive-fs/conflict-2", "second");

        notices.Seen("refs/heads/clive-fs/conflict-1");

        Assert.Equal(["second"], notices.Current());
        Assert.Contains("conflict no longer in .clive/status (its branch was opened): first", log);
    }
}
