using System.Security.Cryptography;
using System.Text;
using Clive.Git;

namespace Clive.Engine.Inputs;

/// <summary>Files chosen for a cell's input, in path order, with one digest over (length-framed) paths, modes and ids.</summary>
public sealed class FileSet
{
    public static readonly FileSet Empty = new([]);

    public FileSet(IReadOnlyList<FileEntry> files)
    {
        Files = files;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> id = stackalloc byte[ObjectId.ByteLength];
        foreach (var file in files)
        {
            // Each path framed by its length: "a" then "bc" never hashes as "ab" then "c".
            var path = Encoding.UTF8.GetBytes(file.Path);
            hash.AppendData(BitConverter.GetBytes(path.Length));
            hash.AppendData(path);
            hash.AppendData(BitConverter.GetBytes(file.Mode));
            file.Id.WriteTo(id);
            hash.AppendData(id);
        }
        Digest = hash.GetHashAndReset();
    }

    public IReadOnlyList<FileEntry> Files { get; }

    public byte[] Digest { get; }
}

/// <summary>
/// Chooses the files a set of globs names in a tree. Results are kept by the ids of the subtrees
/// the globs can reach, so when nothing below them changed the answer costs a dictionary lookup.
/// </summary>
public sealed class FileMatcher(TreeReader trees)
{
    private const int MaxCached = 100_000;
    private readonly Dictionary<string, FileSet> _cache = new(StringComparer.Ordinal);

    /// <summary><paramref name="patterns"/> are from the root; those starting with "!" exclude.</summary>
    public FileSet Match(ObjectId root, IReadOnlyList<string> patterns)
    {
        var includes = patterns.Where(p => !p.StartsWith('!')).Select(Glob.Of).ToList();
        var excludes = patterns.Where(p => p.StartsWith('!')).Select(p => Glob.Of(p[1..])).ToList();
        var cacheKey = new StringBuilder();
        var subtrees = new List<(Glob Glob, TreeEntry Entry)>();
        foreach (var glob in includes)
        {
            if (trees.Find(root, glob.LiteralPrefix) is not { } entry) continue;
            subtrees.Add((glob, entry));
            cacheKey.Append(entry.Id).Append(' ').Append(glob.Pattern).Append('\n');
        }
        if (subtrees.Count == 0) return FileSet.Empty;
        foreach (var glob in excludes) cacheKey.Append('!').Append(glob.Pattern).Append('\n');
        var key = cacheKey.ToString();
        if (_cache.TryGetValue(key, out var cached)) return cached;

        var files = new SortedDictionary<string, FileEntry>(StringComparer.Ordinal);
        foreach (var (glob, entry) in subtrees)
        {
            if (!entry.IsTree)
            {
                if (glob.IsLiteral && !entry.IsGitlink) files[glob.LiteralPrefix] = new FileEntry(glob.LiteralPrefix, entry.Mode, entry.Id);
                continue;
            }
            foreach (var file in trees.Files(entry.Id, glob.LiteralPrefix))
            {
                var relative = glob.LiteralPrefix.Length == 0 ? file.Path : file.Path[(glob.LiteralPrefix.Length + 1)..];
                if (glob.MatchesBelowPrefix(relative)) files[file.Path] = file;
            }
        }
        var chosen = files.Values.Where(f => !excludes.Any(x => x.Matches(f.Path))).ToList();
        var set = new FileSet(chosen);
        if (_cache.Count >= MaxCached) _cache.Clear();
        _cache[key] = set;
        return set;
    }
}
