using System.Text;
using Clive.Core.Store.Entities;
using Clive.Core.Values;
using Clive.Git;
using Clive.Store;

namespace Clive.Fs;

/// <summary>
/// .clive/entities/: the repo's entities as JSON files, <c>&lt;name&gt;.json</c> (a name's <c>/</c> is a
/// directory), listed afresh on each look, so they are live. A file saved in place (written and
/// closed) becomes a new version once it parses and fits the type the model declares; a save that
/// does not is refused as a version and its bytes are kept, every one, at
/// refs/clive/rejected/entities/&lt;name&gt; (seen in the mount under .clive/refs/clive/rejected/),
/// explained in .clive/status and the mount's log.
/// </summary>
internal sealed class EntityView(CliveStore store, string repo, CommitIdentity identity, ConflictNotices notices)
{
    public const string DirectoryName = "entities";
    public const string Extension = ".json";

    /// <summary>What the directory <paramref name="below"/> (a path inside .clive/entities, "" for the top) holds.</summary>
    public (SortedSet<string> Directories, SortedDictionary<string, EntityHead> Files) Children(string below)
    {
        var prefix = below.Length == 0 ? "" : below + "/";
        var directories = new SortedSet<string>(StringComparer.Ordinal);
        var files = new SortedDictionary<string, EntityHead>(StringComparer.Ordinal);
        foreach (var head in store.Entities.List(repo))
        {
            if (!head.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = head.Name[prefix.Length..];
            var slash = rest.IndexOf('/');
            if (slash >= 0) directories.Add(rest[..slash]);
            else files[rest + Extension] = head;
        }
        return (directories, files);
    }

    /// <summary>The version's value.json; a version that is not readable shows why instead of failing every read.</summary>
    public byte[] Json(EntityHead head)
    {
        try
        {
            return Encoding.UTF8.GetBytes(store.Entities.ReadVersion(head.Name, head.Commit).Json);
        }
        catch (ValueFormatException e)
        {
            return Encoding.UTF8.GetBytes($"// {e.Message}\n");
        }
    }

    /// <summary>The entity a file of the view stands for: ".clive/entities/a/b.json" → "a/b".</summary>
    public static string EntityOf(string path, string viewPath) => path[(viewPath.Length + 1)..^Extension.Length];

    /// <summary>
    /// A save of the file: a new version on <paramref name="edited"/> when the bytes are JSON of the
    /// declared type, else the bytes kept aside. Either way the outcome is logged.
    /// </summary>
    public void Save(string name, byte[] bytes, ObjectId edited, string who)
    {
        string why;
        try
        {
            var json = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            var version = EntityEdit.Save(store, repo, name, json, edited, identity, "clive-fs save", who);
            notices.Log($"entity {name}: saved as version {version.ToString()[..12]}");
            return;
        }
        catch (DecoderFallbackException)
        {
            why = "the file is not UTF-8 text";
        }
        catch (Exception e) when (e is ValueFormatException or EntityTypeNotDeclaredException or EntityChangedException)
        {
            why = e.Message;
        }
        var kept = store.Entities.KeepRejected(repo, name, bytes, edited, identity, why);
        notices.Add(EntityName.RejectedPrefix + name,
            $"entity {name}: the save was not made a version ({why}); its bytes are kept at {EntityName.RejectedPrefix}{name} ({kept.ToString()[..12]})");
    }
}
