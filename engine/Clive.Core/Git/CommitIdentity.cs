namespace Clive.Git;

/// <summary>Who a commit names as its author and its committer, each as git writes them: <c>Name &lt;email&gt;</c>.</summary>
public sealed record CommitIdentity(string Author, string Committer)
{
    public Signature AuthorAt(DateTimeOffset when) => Sign(Author, when);

    public Signature CommitterAt(DateTimeOffset when) => Sign(Committer, when);

    private static Signature Sign(string who, DateTimeOffset when)
    {
        var open = who.LastIndexOf(" <", StringComparison.Ordinal);
        return open < 0
            ? new Signature(who, "", when)
            : new Signature(who[..open], who[(open + 2)..].TrimEnd('>'), when);
    }
}
