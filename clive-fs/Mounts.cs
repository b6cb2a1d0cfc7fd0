namespace Clive.FsHost;

/// <summary>What the kernel says is mounted, from /proc/self/mountinfo.</summary>
internal static class Mounts
{
    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            // Field 5 is the mount point, with spaces and the like escaped as octal (\040).
            if (fields.Length > 4 && Unescape(fields[4]) == full) return true;
        }
        return false;
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var result = new System.Text.StringBuilder();
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                result.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else result.Append(field[i]);
        }
        return result.ToString();
    }
}
