namespace Clive.Store;

/// <summary>
/// The store holds every pack, identity and grant, so it is its owner's alone: the directory is
/// made 0700 and every file clive creates in it 0600, set explicitly rather than left to the
/// umask. A store that others can read (made by an older clive, or chmodded) is pointed out once
/// per process rather than changed behind the owner's back. (clive runs on Linux; the Windows
/// branches only satisfy the platform analyzer.)
/// </summary>
public static class StorePermissions
{
    public const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly HashSet<string> Warned = [];

    /// <summary>
    /// Where the warning goes; null to keep quiet. <c>clive serve --identity</c> sets it to null:
    /// its stderr is a remote key holder's terminal, who has no business learning the owner's paths.
    /// </summary>
    public static TextWriter? Warnings { get; set; } = Console.Error;

    /// <summary>Creates the store directory 0700 (its parents as the umask says).</summary>
    public static void CreateDirectory(string directory)
    {
        if (Directory.Exists(directory)) return;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }
        var parent = Path.GetDirectoryName(directory);
        if (!string.IsNullOrEmpty(parent)) Directory.CreateDirectory(parent);
        Directory.CreateDirectory(directory, PrivateDirectory);
        // mkdir's mode passes through the umask, which could also take the owner's own bits.
        File.SetUnixFileMode(directory, PrivateDirectory);
    }

    /// <summary>
    /// Creates an empty database file 0600 unless it exists. SQLite then gives its -wal and -shm
    /// files the database's own mode (and fchmods them past the umask).
    /// </summary>
    public static void CreateDatabaseFile(string path)
    {
        if (File.Exists(path) || OperatingSystem.IsWindows()) return;
        try
        {
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile })) { }
            File.SetUnixFileMode(path, PrivateFile);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process made it first, 0600 as well.
        }
    }

    /// <summary>Opens a file in the store for writing, creating it 0600 (the umask can only take bits away).</summary>
    public static FileStream CreateFile(string path, FileMode mode = FileMode.Create, FileShare share = FileShare.Read, int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.ReadWrite, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
        return new FileStream(path, options);
    }

    /// <summary>Warns, once per store and process, when the directory or database is open to other users.</summary>
    public static void WarnIfExposed(string directory, string database)
    {
        if (Warnings is not { } warnings || OperatingSystem.IsWindows()) return;
        bool exposed = (File.GetUnixFileMode(directory) & GroupOrOthers) != 0
            || File.Exists(database) && (File.GetUnixFileMode(database) & GroupOrOthers) != 0;
        if (!exposed) return;
        lock (Warned)
        {
            if (!Warned.Add(directory)) return;
        }
        warnings.WriteLine($"warning: store '{directory}' is readable by other users; chmod 700 '{directory}' and chmod 600 the files in it");
    }
}
