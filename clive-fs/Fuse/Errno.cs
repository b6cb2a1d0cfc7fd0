using Clive.Fs;

namespace Clive.FsHost.Fuse;

/// <summary>Platform-neutral errors as Linux errno values, for FUSE replies.</summary>
internal static class Errno
{
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int ENOENT = 2;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int EINVAL = 22;
    public const int EROFS = 30;
    public const int EPERM = 1;
    public const int EEXIST = 17;
    public const int ENOTEMPTY = 39;
    public const int EOPNOTSUPP = 95;

    public static int From(FsError error) => error switch
    {
        FsError.NotFound => ENOENT,
        FsError.NotADirectory => ENOTDIR,
        FsError.IsADirectory => EISDIR,
        FsError.NotASymlink => EINVAL,
        FsError.ReadOnly => EROFS,
        FsError.BadHandle => EBADF,
        FsError.Exists => EEXIST,
        FsError.NotEmpty => ENOTEMPTY,
        FsError.NotPermitted => EPERM,
        FsError.NotSupported => EOPNOTSUPP,
        FsError.InvalidArgument => EINVAL,
        _ => EIO,
    };
}
