namespace Clive.FsHost;

/// <summary><c>&lt;repo&gt;[@&lt;ref&gt;]</c>: what to mount.</summary>
internal sealed record MountTarget(string Repo, string? Ref)
{
    public static MountTarget Parse(string text)
    {
        int at = text.LastIndexOf('@');
        return at < 0 ? new MountTarget(text, null) : new MountTarget(text[..at], text[(at + 1)..]);
    }
}
