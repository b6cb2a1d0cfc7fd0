namespace Clive.Fs;

/// <summary>An open file. A read-only open of an unchanged file streams its blob, opened at the first read.</summary>
internal sealed class OpenFile(Node node, bool writable)
{
    public Node Node { get; } = node;
    public bool Writable { get; } = writable;
    public Stream? Reader { get; set; }
}

/// <summary>The mount's open files by handle; handles are never reused while the mount lives.</summary>
internal sealed class OpenFiles
{
    private readonly Dictionary<ulong, OpenFile> _byHandle = [];
    private ulong _nextHandle = 1;

    public ulong Add(Node node, bool writable)
    {
        ulong handle = _nextHandle++;
        _byHandle[handle] = new OpenFile(node, writable);
        return handle;
    }

    public OpenFile Get(ulong handle)
        => _byHandle.TryGetValue(handle, out var file) ? file : throw new FsException(FsError.BadHandle, $"handle {handle}");

    public bool Remove(ulong handle, out OpenFile file) => _byHandle.Remove(handle, out file!);

    /// <summary>Whether some handle has the node open for writing (its bytes are the user's until closed).</summary>
    public bool IsOpenForWriting(Node node) => _byHandle.Values.Any(o => o.Writable && o.Node == node);
}
