using System.Text;

namespace Clive.Git;

/// <summary>Who and when, as a commit records it: <c>Name &lt;email&gt; 1700000000 +0100</c>.</summary>
public readonly record struct Signature(string Name, string Email, DateTimeOffset When)
{
    public override string ToString()
    {
        var offset = When.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return $"{Clean(Name)} <{Clean(Email)}> {When.ToUnixTimeSeconds()} {sign}{offset.Hours:D2}{offset.Minutes:D2}";
    }

    // git drops what would break the line's form (strbuf_addstr_without_crud): angle brackets and line ends.
    private static string Clean(string text) => new string(text.Where(c => c is not ('<' or '>' or '\n' or '\r' or '\0')).ToArray()).Trim();
}

/// <summary>Serializes a commit object, the one place clive writes commit text (the mount's commits, the engine's results).</summary>
public static class CommitWriter
{
    public static byte[] Serialize(ObjectId tree, IEnumerable<ObjectId> parents, Signature author, Signature committer, string message)
    {
        var text = new StringBuilder();
        text.Append("tree ").Append(tree).Append('\n');
        foreach (var parent in parents) text.Append("parent ").Append(parent).Append('\n');
        text.Append("author ").Append(author).Append('\n');
        text.Append("committer ").Append(committer).Append('\n');
        // git ends a message with exactly one newline.
        text.Append('\n').Append(message.TrimEnd('\n')).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
