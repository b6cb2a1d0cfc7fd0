namespace Clive.Interop;

/// <summary>Processes by id, told apart from a later process that reuses the id by their start time.</summary>
public static class ProcessIdentity
{
    /// <summary>The start time of a process in clock ticks since boot (field 22 of /proc/&lt;pid&gt;/stat), or null if it is gone.</summary>
    public static long? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the process that had <paramref name="startTime"/> under <paramref name="pid"/> still runs.
    /// A zombie does not: it has exited and only waits for its parent (an engine started in the
    /// background has none but init, which may be slow to reap it).
    /// </summary>
    public static bool IsAlive(int pid, long startTime) => StartTime(pid) == startTime && !IsZombie(pid);

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return true;
        }
    }
}
