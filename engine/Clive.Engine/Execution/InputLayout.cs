using Clive.Engine.Inputs;
using Clive.Git;

namespace Clive.Engine.Execution;

/// <summary>
/// The files a cell sees, by their path in its directory tree: its tree inputs at their own paths,
/// other cells' outputs and other refs' files where it placed them.
/// </summary>
public sealed class InputLayout
{
    private readonly SortedDictionary<string, FileEntry> _files = new(StringComparer.Ordinal);

    public IReadOnlyCollection<FileEntry> Files => _files.Values;

    public void Add(FileEntry file) => _files[file.Path] = file;

    public void AddAll(string at, IEnumerable<FileEntry> files)
    {
        foreach (var file in files) Add(file with { Path = at.Length == 0 ? file.Path : at + "/" + file.Path });
    }

    public bool TryGet(string path, out FileEntry file) => _files.TryGetValue(path, out file);

    /// <summary>Writes every file under <paramref name="root"/>. Times are fixed (as Nix does), so tools that stamp them give the same bytes every run.</summary>
    public void Materialize(EngineStore store, string root)
    {
        var fixedTime = DateTime.UnixEpoch.AddSeconds(1);
        foreach (var file in _files.Values)
        {
            var path = Path.Combine(root, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var content = store.Use(s => s.Store.Objects.Read(file.Id, ObjectType.Blob));
            if (file.Mode == TreeEntry.Symlink)
            {
                File.CreateSymbolicLink(path, System.Text.Encoding.UTF8.GetString(content));
                continue;
            }
            File.WriteAllBytes(path, content);
            if (file.Mode == TreeEntry.ExecutableFile && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            File.SetLastWriteTimeUtc(path, fixedTime);
        }
    }
}
