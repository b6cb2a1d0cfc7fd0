using System.Globalization;
using System.Text;
using Clive.Store;

namespace Clive.Core.Store.Engines;

/// <summary>
/// Whether this engine last reached a remote engine it may hand cells to: its engine session opened
/// (the host name and labels it said at hello) or not, and why. <paramref name="Destination"/> and
/// <paramref name="Repo"/> name the engine as declared; <paramref name="Host"/> and
/// <paramref name="Labels"/> come from the other host and are flattened to printable text.
/// </summary>
public sealed record RemoteSessionRecord(string Destination, string Repo, bool Reachable, string? Host, IReadOnlyList<string> Labels,
    DateTimeOffset At, string? Message);

/// <summary>
/// The engine sessions of the running engine, in <c>&lt;store&gt;/engine/remote-sessions</c>, for
/// <c>clive engines</c> (another process) to show which remote engines are reachable. Rewritten
/// whole (beside it, then renamed) when a session opens, fails or is dropped: a few times per
/// declaration, never per cell. Not synced: after a crash it is history, rewritten at the next start.
/// </summary>
public static class RemoteSessions
{
    public const string FileName = "remote-sessions";

    public static string PathIn(string storeDirectory) => Path.Combine(storeDirectory, "engine", FileName);

    public static IReadOnlyList<RemoteSessionRecord> Read(string storeDirectory)
    {
        var path = PathIn(storeDirectory);
        if (!File.Exists(path)) return [];
        var records = new List<RemoteSessionRecord>();
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            // A line this version cannot read is skipped: the next write drops it.
            if (f.Length != 7 || !long.TryParse(f[5], CultureInfo.InvariantCulture, out long at)) continue;
            records.Add(new RemoteSessionRecord(f[0], f[1], f[2] == "1", f[3].Length == 0 ? null : f[3], f[4].Length == 0 ? [] : f[4].Split(','),
                DateTimeOffset.FromUnixTimeMilliseconds(at), f[6].Length == 0 ? null : f[6]));
        }
        return records;
    }

    public static void Write(string storeDirectory, IEnumerable<RemoteSessionRecord> records)
    {
        var path = PathIn(storeDirectory);
        StorePermissions.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new StringBuilder();
        foreach (var r in records)
            text.Append(string.Join('\t', Flat(r.Destination), Flat(r.Repo), r.Reachable ? "1" : "0", Flat(r.Host ?? ""),
                string.Join(',', r.Labels.Select(l => Flat(l).Replace(',', ' '))), r.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                Flat(r.Message ?? ""))).Append('\n');
        var temporary = path + ".new";
        using (var file = StorePermissions.CreateFile(temporary)) file.Write(Encoding.UTF8.GetBytes(text.ToString()));
        File.Move(temporary, path, overwrite: true);
    }

    private static string Flat(string text) => Clive.Printable.Of(new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()), 400);
}
