using System.Security.Cryptography;
using Clive.Engine.Interop;

namespace Clive.Engine.Execution;

/// <summary>
/// Where cells run: a directory only the engine's user can enter, with a name no one can guess.
/// A predictable, shared path (/tmp/clive-work-&lt;pid&gt;) let another local user create it first,
/// read a cell's inputs and slip a file into its published output.
/// </summary>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates a fresh directory with a random name under <paramref name="parent"/>, which is made (0700) or checked to be the engine user's own.</summary>
    public static string Create(string parent, string prefix)
    {
        // Cells run under bubblewrap and setsid: the engine is for Linux (a Windows engine would need its own sandbox).
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the engine runs cells on Linux only");
        Directory.CreateDirectory(parent, OwnerOnly);
        Demand(parent);
        var path = Path.Combine(parent, prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)));
        // mkdir fails if the name exists, so what we get is new and ours whatever raced us.
        var created = Directory.CreateDirectory(path, OwnerOnly);
        Demand(created.FullName);
        return created.FullName;
    }

    /// <summary>Refuses a directory that is a symlink, belongs to another user, or lets others in.</summary>
    public static void Demand(string path)
    {
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null) throw new CliveException($"refusing the work directory {path}: it is a symbolic link");
        if (LibC.OwnerOf(path) is not { } owner || owner != LibC.EffectiveUserId())
            throw new CliveException($"refusing the work directory {path}: it belongs to another user");
        if ((info.UnixFileMode & ~OwnerOnly) != 0)
            throw new CliveException($"refusing the work directory {path}: others may enter it (chmod 700 {path})");
    }
}
