using System.Collections.Concurrent;
using System.Text;
using Build.Bazel.Remote.Execution.V2;
using Clive.Git;
using Google.Protobuf;

namespace Clive.Reapi;

/// <summary>A file of an action's input root: its path, Git mode and Git blob id.</summary>
public readonly record struct InputFile(string Path, int Mode, ObjectId Id);

/// <summary>
/// An action's input root: the Git files it holds as REAPI <c>Directory</c> messages with SHA-256
/// digests, and every blob the server needs (directories and file contents). Deterministic: a
/// directory's message depends only on its entries (sorted by name, as the API requires), so the same
/// files give the same root digest on every host.
/// </summary>
public sealed class InputRoot
{
    public Digest Digest { get; }

    /// <summary>Every blob the root reaches, by digest key, each once: encoded directories and the Git blobs whose content it needs.</summary>
    public IReadOnlyDictionary<string, InputBlob> Blobs { get; }

    internal InputRoot(Digest digest, IReadOnlyDictionary<string, InputBlob> blobs)
    {
        Digest = digest;
        Blobs = blobs;
    }
}

/// <summary>A blob to upload: either bytes at hand (a directory) or a Git blob read from the store when needed.</summary>
public sealed record InputBlob(Digest Digest, byte[]? Bytes, ObjectId? GitBlob);

/// <summary>
/// Translates Git files into input roots. Both caches live in memory (bounded) and are keyed by
/// Git ids: a file's SHA-256 by its blob id (hashing content is the cost), a directory's
/// translation by the id of the Git tree it equals. A tree met again (an unchanged
/// subdirectory, another cell over the same sources) is translated once.
/// </summary>
public sealed class InputRootBuilder(Func<ObjectId, byte[]> readBlob)
{
    /// <summary>Past this many entries a cache starts over: an engine that runs for months must not grow without bound.</summary>
    private const int MaxCached = 200_000;
    private readonly ConcurrentDictionary<ObjectId, Digest> _fileDigests = new();
    private readonly ConcurrentDictionary<ObjectId, TranslatedDirectory> _directories = new();

    private sealed record TranslatedDirectory(ObjectId TreeId, Digest Digest, byte[] Bytes, IReadOnlyList<TranslatedDirectory> Children, IReadOnlyList<(Digest Digest, ObjectId Blob)> Files);

    /// <summary>How many directories the cache holds (for tests and traces).</summary>
    public int CachedDirectories => _directories.Count;

    /// <summary>The input root of <paramref name="files"/> (paths relative to the root, '/'-separated, checked by the caller as Git paths).</summary>
    public InputRoot Build(IEnumerable<InputFile> files)
    {
        if (_fileDigests.Count > MaxCached) _fileDigests.Clear();
        if (_directories.Count > MaxCached) _directories.Clear();
        var root = Translate(files.Select(f => (f.Path, f.Mode, f.Id)).ToList());
        var blobs = new Dictionary<string, InputBlob>(StringComparer.Ordinal);
        Collect(root, blobs);
        return new InputRoot(root.Digest, blobs);
    }

    private static void Collect(TranslatedDirectory directory, Dictionary<string, InputBlob> blobs)
    {
        if (!blobs.TryAdd(Digests.Key(directory.Digest), new InputBlob(directory.Digest, directory.Bytes, null))) return;
        foreach (var (digest, blob) in directory.Files) blobs.TryAdd(Digests.Key(digest), new InputBlob(digest, null, blob));
        foreach (var child in directory.Children) Collect(child, blobs);
    }

    private TranslatedDirectory Translate(IReadOnlyList<(string Path, int Mode, ObjectId Id)> files)
    {
        // The Git tree these files make names the translation: equal trees, equal directories.
        var entries = new List<TreeEntry>();
        var subdirectories = new List<(string Name, List<(string, int, ObjectId)> Files)>();
        foreach (var group in files.GroupBy(f => f.Path.Split('/')[0], StringComparer.Ordinal))
        {
            var below = group.Where(f => f.Path.Contains('/')).Select(f => (f.Path[(f.Path.IndexOf('/') + 1)..], f.Mode, f.Id)).ToList();
            if (below.Count > 0) subdirectories.Add((group.Key, below));
            else
            {
                var file = group.First();
                entries.Add(new TreeEntry(file.Mode, Encoding.UTF8.GetBytes(group.Key), file.Id));
            }
        }
        var children = subdirectories.Select(s => (s.Name, Directory: Translate(s.Files))).ToList();
        foreach (var (name, directory) in children) entries.Add(new TreeEntry(TreeEntry.Directory, Encoding.UTF8.GetBytes(name), directory.TreeId));
        var treeId = ObjectId.HashObject(ObjectType.Tree, TreeWriter.Serialize(entries));
        return _directories.GetOrAdd(treeId, id => Encode(id, entries, children));
    }

    private TranslatedDirectory Encode(ObjectId treeId, List<TreeEntry> entries, List<(string Name, TranslatedDirectory Directory)> children)
    {
        var message = new Build.Bazel.Remote.Execution.V2.Directory();
        var files = new List<(Digest, ObjectId)>();
        foreach (var entry in entries.Where(e => !e.IsTree).OrderBy(e => e.Name.ToArray(), ByteOrder.Instance))
        {
            var name = Encoding.UTF8.GetString(entry.Name.Span);
            if (entry.Mode == TreeEntry.Symlink)
            {
                message.Symlinks.Add(new SymlinkNode { Name = name, Target = Encoding.UTF8.GetString(readBlob(entry.Id)) });
                continue;
            }
            var digest = _fileDigests.GetOrAdd(entry.Id, id => Digests.Of(readBlob(id)));
            message.Files.Add(new FileNode { Name = name, Digest = digest, IsExecutable = entry.Mode == TreeEntry.ExecutableFile });
            files.Add((digest, entry.Id));
        }
        foreach (var (name, directory) in children.OrderBy(c => Encoding.UTF8.GetBytes(c.Name), ByteOrder.Instance))
            message.Directories.Add(new DirectoryNode { Name = name, Digest = directory.Digest });
        var bytes = message.ToByteArray();
        return new TranslatedDirectory(treeId, Digests.Of(bytes), bytes, children.Select(c => c.Directory).ToList(), files);
    }

    /// <summary>Names sort by their UTF-8 bytes, as the API asks ("lexicographically by name").</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
