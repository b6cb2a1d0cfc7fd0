using System.Diagnostics;

namespace Clive.Tests.Fixtures;

/// <summary>Finds a process's descendants through /proc, so a test kills only what it started.</summary>
public static class ProcessTree
{
    public static IEnumerable<(int Pid, string Command)> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        var commands = new Dictionary<int, string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1]);
                commands[pid] = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        var found = new List<(int, string)>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out int parent))
        {
            foreach (var (pid, ppid) in parents)
            {
                if (ppid != parent) continue;
                found.Add((pid, commands[pid]));
                frontier.Enqueue(pid);
            }
        }
        return found;
    }

    public static void KillNamed(Process root, string name)
    {
        foreach (var (pid, command) in Descendants(root.Id))
        {
            if (!command.Contains(name, StringComparison.Ordinal)) continue;
            try { Process.GetProcessById(pid).Kill(); }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
    }

    /// <summary>Waits until some process's command line contains <paramref name="text"/>.</summary>
    public static bool WaitFor(string text, TimeSpan timeout) => Poll(() => Find(text).Any(), timeout);

    /// <summary>Waits until no process's command line contains <paramref name="text"/>.</summary>
    public static bool WaitForNone(string text, TimeSpan timeout) => Poll(() => !Find(text).Any(), timeout);

    /// <summary>Waits until a process whose command line contains <paramref name="text"/> has read at least <paramref name="bytes"/> (its /proc/PID/io rchar).</summary>
    public static bool WaitForBytesRead(string text, long bytes, TimeSpan timeout)
        => Poll(() => Find(text).Any(p => BytesRead(p.Pid) >= bytes), timeout);

    private static long BytesRead(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/io").FirstOrDefault(l => l.StartsWith("rchar:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line["rchar:".Length..].Trim());
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }

    private static bool Poll(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition()) return true;
            Thread.Sleep(10);
        }
        return condition();
    }

    /// <summary>Processes whose command line contains <paramref name="text"/>.</summary>
    public static IEnumerable<(int Pid, string Command)> Find(string text)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string command;
            try { command = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (command.Contains(text, StringComparison.Ordinal)) yield return (pid, command);
        }
    }
}
