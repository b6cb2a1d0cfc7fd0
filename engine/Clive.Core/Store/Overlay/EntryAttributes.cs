using Clive.Git;

namespace Clive.Store.Overlay;

/// <summary>A file time as POSIX keeps it: seconds and nanoseconds since the epoch, any year.</summary>
public readonly record struct FileTime(long Seconds, uint Nanoseconds) : IComparable<FileTime>
{
    public static FileTime Now => From(DateTimeOffset.UtcNow);

    public static FileTime From(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rest);
        if (rest < 0) { seconds--; rest += TimeSpan.TicksPerSecond; }
        return new FileTime(seconds, (uint)(rest * 100));
    }

    public int CompareTo(FileTime other) => (Seconds, Nanoseconds).CompareTo((other.Seconds, other.Nanoseconds));
}

/// <summary>
/// What a checkout's disk keeps of an entry and git does not: the whole mode (all permission bits,
/// and the type of a fifo, socket or device node, which git never records), owner, group, device
/// number, the three times, and which names share one inode (<see cref="Link"/>: the same nonzero
/// group, a hard link). The times hold while the content is <see cref="Content"/> (null: whatever
/// the entry holds); a push that changes the content gives it the new commit's time, as a checkout
/// that rewrites the file does.
/// </summary>
public sealed record EntryAttributes(string Path, uint Mode, uint Uid, uint Gid, ulong Device,
    FileTime Accessed, FileTime Modified, FileTime Changed, ObjectId? Content, long Link);
