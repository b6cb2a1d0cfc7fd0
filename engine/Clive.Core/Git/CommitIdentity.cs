namespace Clive.Git;

/// <summary>Who a commit names as its author and its committer, each as git writes them: <c>Name &lt;email&gt;</c>.</summary>
public sealed record CommitIdentity(string Author, string Committer)
{
    /// <summary>An author or committer line's value: who, then when as seconds and the local offset (<c>+0100</c>).</summary>
    public static string Stamp(string who, DateTimeOffset when)
    {
        var offset = when.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return $"{who} {when.ToUnixTimeSeconds()} {sign}{offset.Hours:00}{offset.Minutes:00}";
    }
}
