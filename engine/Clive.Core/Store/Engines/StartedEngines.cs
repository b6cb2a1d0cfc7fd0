using System.Globalization;
using System.Text;
using Clive.Store;

namespace Clive.Core.Store.Engines;

/// <summary>What became of an engine a model declared on another host.</summary>
public enum RemoteEngineState
{
    /// <summary>Running there: this engine started it, or found it running.</summary>
    Up,
    /// <summary>Starting it failed (<see cref="RemoteEngineRecord.Message"/> says why); tried again when the model loads again.</summary>
    Failed,
    /// <summary>No longer declared, but stopping it failed: tried again at the next change.</summary>
    StopFailed,
}

/// <summary>
/// An engine on another host that a model of this store declared (<c>Engines.On</c>).
/// <paramref name="StartedHere"/>: this store's engine started it (engine-up said "started"), so it
/// stops it once no model declares it; one found running is its owner's and is left alone.
/// </summary>
public sealed record RemoteEngineRecord(string Source, string Destination, string Repo, IReadOnlyList<string> Labels, int? Jobs,
    bool StartedHere, RemoteEngineState State, DateTimeOffset At, string? Message)
{
    public (string Destination, string Repo) Key => (Destination, Repo);
}

/// <summary>
/// The record of the engines this store's engine started on other hosts (or failed to), in
/// <c>&lt;store&gt;/engine/remote-engines</c>: a restarted engine reads it to stop what its models no
/// longer declare, and `clive engines` shows it. One tab-separated line per engine; every field is
/// checked before it gets here (destinations, repos and labels hold no tab or newline), and
/// messages, which come from other hosts, are flattened to one printable line.
/// </summary>
public static class StartedEngines
{
    public const string FileName = "remote-engines";

    public static string PathIn(string storeDirectory) => Path.Combine(storeDirectory, "engine", FileName);

    public static IReadOnlyList<RemoteEngineRecord> Read(string storeDirectory)
    {
        var path = PathIn(storeDirectory);
        if (!File.Exists(path)) return [];
        var records = new List<RemoteEngineRecord>();
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            // A line this version cannot read (hand-edited, from a later version) is skipped, never fatal: the next write drops it.
            if (f.Length != 9 || !Enum.TryParse<RemoteEngineState>(f[6], out var state) || !long.TryParse(f[7], CultureInfo.InvariantCulture, out long at)) continue;
            records.Add(new RemoteEngineRecord(f[0], f[1], f[2], f[3].Length == 0 ? [] : f[3].Split(','),
                int.TryParse(f[4], CultureInfo.InvariantCulture, out int jobs) ? jobs : null, f[5] == "1", state,
                DateTimeOffset.FromUnixTimeMilliseconds(at), f[8].Length == 0 ? null : f[8]));
        }
        return records;
    }

    /// <summary>Replaces the record whole: written beside it, synced, then renamed over it, so a crash leaves the old or the new one.</summary>
    public static void Write(string storeDirectory, IEnumerable<RemoteEngineRecord> records)
    {
        var path = PathIn(storeDirectory);
        StorePermissions.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = new StringBuilder();
        foreach (var r in records)
            text.Append(string.Join('\t', Flat(r.Source), Flat(r.Destination), Flat(r.Repo), string.Join(',', r.Labels.Select(Flat)),
                r.Jobs?.ToString(CultureInfo.InvariantCulture) ?? "", r.StartedHere ? "1" : "0", r.State.ToString(),
                r.At.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), Flat(r.Message ?? ""))).Append('\n');
        var temporary = path + ".new";
        using (var file = StorePermissions.CreateFile(temporary))
        {
            file.Write(Encoding.UTF8.GetBytes(text.ToString()));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static string Flat(string text) => new(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray());
}
