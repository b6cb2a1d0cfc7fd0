using System.Globalization;
using System.Text;
using Clive.Git;

namespace Clive.Core.Store.Entities;

/// <summary>The author line and message of a commit, which <see cref="CommitParser"/> leaves out.</summary>
internal static class EntityCommit
{
    public static (string Author, DateTimeOffset Time, string Message) Read(byte[] commit)
    {
        var text = Encoding.UTF8.GetString(commit);
        var split = text.IndexOf("\n\n", StringComparison.Ordinal);
        var header = split < 0 ? text : text[..split];
        var message = split < 0 ? "" : text[(split + 2)..];
        var authorLine = header.Split('\n').FirstOrDefault(l => l.StartsWith("author ", StringComparison.Ordinal)) ?? "author unknown <> 0 +0000";
        return (Who(authorLine["author ".Length..], out var time), time, message);
    }

    /// <summary>"Name &lt;email&gt; 1700000000 +0100" → "Name &lt;email&gt;" and its time in its own offset.</summary>
    private static string Who(string ident, out DateTimeOffset time)
    {
        time = DateTimeOffset.UnixEpoch;
        var close = ident.LastIndexOf('>');
        if (close < 0) return ident;
        var parts = ident[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && parts[1].Length == 5 && int.TryParse(parts[1][1..], NumberStyles.None, CultureInfo.InvariantCulture, out var hhmm))
        {
            var offset = new TimeSpan(hhmm / 100, hhmm % 100, 0);
            if (parts[1][0] == '-') offset = -offset;
            try { time = DateTimeOffset.FromUnixTimeSeconds(seconds).ToOffset(offset); }
            catch (ArgumentOutOfRangeException) { /* a time no calendar holds: left at the epoch */ }
        }
        return ident[..(close + 1)];
    }
}
