using System.Text;
using Clive.Engine.Inputs;
using Clive.Git;
using Clive.Packs;

namespace Clive.Engine.Execution;

/// <summary>Builds Git trees from files (a cell's outputs), adding to a pack only the objects the store lacks.</summary>
public sealed class OutputTree(EngineStore store, NewObjectsPack pack)
{
    private readonly SortedDictionary<string, (int Mode, ObjectId Id)> _files = new(StringComparer.Ordinal);

    public int Count => _files.Count;

    public ObjectId AddBlob(ReadOnlySpan<byte> content)
    {
        var id = ObjectId.HashObject(ObjectType.Blob, content);
        if (!store.Use(s => s.Store.Objects.Contains(id))) pack.Add(ObjectType.Blob, content);
        return id;
    }

    public void Add(string path, int mode, ReadOnlySpan<byte> content) => _files[path] = (mode, AddBlob(content));

    public void Add(FileEntry file) => _files[file.Path] = (file.Mode, file.Id);

    /// <summary>Adds every file below <paramref name="directory"/> that one of <paramref name="globs"/> matches (all, when none is given).</summary>
    public void AddDirectory(string directory, IReadOnlyList<string>? globs = null, string prefix = "")
    {
        if (!Directory.Exists(directory)) return;
        var matchers = globs?.Select(g => Glob.Of(g.TrimStart('/'))).ToList();
        foreach (var path in Directory.EnumerateFileSystemEntries(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(directory, path).Replace('\\', '/');
            if (matchers is not null && !matchers.Any(m => m.Matches(relative))) continue;
            var info = new FileInfo(path);
            var name = prefix.Length == 0 ? relative : prefix + "/" + relative;
            if (info.LinkTarget is { } target) Add(name, TreeEntry.Symlink, Encoding.UTF8.GetBytes(target));
            else if (!info.Attributes.HasFlag(FileAttributes.Directory))
                Add(name, (info.UnixFileMode & UnixFileMode.UserExecute) != 0 ? TreeEntry.ExecutableFile : TreeEntry.RegularFile, File.ReadAllBytes(path));
        }
    }

    /// <summary>The root tree, or null when there are no files.</summary>
    public ObjectId? Build()
    {
        if (_files.Count == 0) return null;
        return BuildDirectory(_files.Select(f => (Path: f.Key, f.Value.Mode, f.Value.Id)).ToList());
    }

    private ObjectId BuildDirectory(IReadOnlyList<(string Path, int Mode, ObjectId Id)> files)
    {
        var entries = new List<TreeEntry>();
        foreach (var group in files.GroupBy(f => f.Path.Split('/')[0], StringComparer.Ordinal))
        {
            var direct = group.FirstOrDefault(f => !f.Path.Contains('/'));
            var below = group.Where(f => f.Path.Contains('/')).Select(f => (f.Path[(f.Path.IndexOf('/') + 1)..], f.Mode, f.Id)).ToList();
            var name = Encoding.UTF8.GetBytes(group.Key);
            if (below.Count > 0) entries.Add(new TreeEntry(TreeEntry.Directory, name, BuildDirectory(below)));
            else entries.Add(new TreeEntry(direct.Mode, name, direct.Id));
        }
        var content = TreeWriter.Serialize(entries);
        var id = ObjectId.HashObject(ObjectType.Tree, content);
        if (!store.Use(s => s.Store.Objects.Contains(id))) pack.Add(ObjectType.Tree, content);
        return id;
    }
}
