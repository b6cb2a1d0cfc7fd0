namespace Clive.Fs;

/// <summary>The bits of st_mode (Linux values; every POSIX system shares them), and how git's kinds map to them.</summary>
public static class PosixMode
{
    public const uint TypeMask = 0xF000;
    public const uint Fifo = 0x1000;
    public const uint CharDevice = 0x2000;
    public const uint Directory = 0x4000;
    public const uint BlockDevice = 0x6000;
    public const uint Regular = 0x8000;
    public const uint Symlink = 0xA000;
    public const uint Socket = 0xC000;

    /// <summary>Permission bits, setuid, setgid and sticky: everything chmod can change.</summary>
    public const uint PermissionMask = 0xFFF;
    public const uint SetGid = 0x400;
    /// <summary>S_IXUSR: the one bit git looks at to record a file as executable.</summary>
    public const uint OwnerExecute = 0x40;

    public static uint TypeOf(NodeKind kind) => kind switch
    {
        NodeKind.Directory => Directory,
        NodeKind.Symlink => Symlink,
        NodeKind.Fifo => Fifo,
        NodeKind.Socket => Socket,
        NodeKind.CharDevice => CharDevice,
        NodeKind.BlockDevice => BlockDevice,
        _ => Regular,
    };

    /// <summary>The kind of a node made by mknod; null for a type POSIX does not have.</summary>
    public static NodeKind? KindOf(uint mode) => (mode & TypeMask) switch
    {
        Regular => (mode & OwnerExecute) != 0 ? NodeKind.ExecutableFile : NodeKind.File,
        Fifo => NodeKind.Fifo,
        Socket => NodeKind.Socket,
        CharDevice => NodeKind.CharDevice,
        BlockDevice => NodeKind.BlockDevice,
        _ => null,
    };

    /// <summary>What a checkout gives an entry git records (git's own defaults under umask 022).</summary>
    public static uint DefaultPermissions(NodeKind kind) => kind switch
    {
        NodeKind.Directory or NodeKind.ExecutableFile => 0x1ED, // 0755
        NodeKind.Symlink => 0x1FF,                             // 0777
        _ => 0x1A4,                                            // 0644
    };

    /// <summary>
    /// The permissions shown for a file whose executable bit git decides (a push may flip it): kept
    /// as they are when they agree; otherwise x is added where r is (as git's checkout does under
    /// the umask) or taken away everywhere.
    /// </summary>
    public static uint WithExecutable(uint permissions, bool executable)
    {
        if (((permissions & OwnerExecute) != 0) == executable) return permissions;
        return executable ? permissions | ((permissions & 0x124) >> 2) | OwnerExecute : permissions & ~0x49u;
    }
}
