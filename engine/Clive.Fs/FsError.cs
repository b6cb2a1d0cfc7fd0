namespace Clive.Fs;

/// <summary>
/// Why a filesystem operation failed, in platform-neutral terms; each adapter maps these to its
/// own codes (errno for FUSE, NTSTATUS for WinFsp).
/// </summary>
public enum FsError
{
    NotFound,
    NotADirectory,
    IsADirectory,
    NotASymlink,
    ReadOnly,
    BadHandle,
    Exists,
    NotEmpty,
    NotPermitted,
    NotSupported,
    InvalidArgument,
    IoError,
}

public sealed class FsException(FsError error, string message) : Exception(message)
{
    public FsError Error { get; } = error;
}
