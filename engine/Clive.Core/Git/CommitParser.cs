namespace Clive.Git;

/// <summary>The parts of a commit that walks need: its tree, its parents and its committer time.</summary>
public sealed record CommitInfo(ObjectId Tree, IReadOnlyList<ObjectId> Parents, long CommitTime);

/// <summary>The parts of an annotated tag that peeling needs.</summary>
public sealed record TagInfo(ObjectId Target, ObjectType TargetType, string Name);

public static class CommitParser
{
    /// <param name="strict">Also the rules git's fsck adds for new objects (zero-padded dates, a missing name), which reading old ones need not enforce.</param>
    public static CommitInfo Parse(ReadOnlySpan<byte> commit, bool strict = false)
    {
        var lines = new HeaderReader(commit);
        if (!lines.TryRead("tree "u8, out var treeHex) || !ObjectId.TryParse(treeHex, out var tree))
            throw new InvalidObjectException("commit has no valid tree line");
        var parents = new List<ObjectId>(1);
        while (lines.TryRead("parent "u8, out var parentHex))
        {
            if (!ObjectId.TryParse(parentHex, out var parent)) throw new InvalidObjectException("commit has an invalid parent line");
            parents.Add(parent);
        }
        if (!lines.TryRead("author "u8, out var author)) throw new InvalidObjectException("commit has no author");
        IdentValidator.Check(author, "author", strict);
        if (!lines.TryRead("committer "u8, out var committer)) throw new InvalidObjectException("commit has no committer");
        long time = IdentValidator.Check(committer, "committer", strict);
        return new CommitInfo(tree, parents, time);
    }
}

public static class TagParser
{
    public static TagInfo Parse(ReadOnlySpan<byte> tag, bool strict = false)
    {
        var lines = new HeaderReader(tag);
        if (!lines.TryRead("object "u8, out var objectHex) || !ObjectId.TryParse(objectHex, out var target))
            throw new InvalidObjectException("tag has no valid object line");
        if (!lines.TryRead("type "u8, out var typeName) || !ObjectTypeNames.TryParse(typeName, out var type))
            throw new InvalidObjectException("tag has no valid type line");
        if (!lines.TryRead("tag "u8, out var name) || name.IsEmpty)
            throw new InvalidObjectException("tag has no name");
        // An old tag may lack a tagger; git fsck only notes that, so do we.
        if (lines.TryRead("tagger "u8, out var tagger)) IdentValidator.Check(tagger, "tagger", strict);
        return new TagInfo(target, type, System.Text.Encoding.UTF8.GetString(name));
    }
}

/// <summary>Reads "key value\n" header lines in a fixed order, as commits and tags have them.</summary>
internal ref struct HeaderReader(ReadOnlySpan<byte> data)
{
    private ReadOnlySpan<byte> _rest = data;

    public bool TryRead(ReadOnlySpan<byte> prefix, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!_rest.StartsWith(prefix)) return false;
        int newline = _rest.IndexOf((byte)'\n');
        if (newline < 0) throw new InvalidObjectException("object header line is not terminated");
        value = _rest[prefix.Length..newline];
        _rest = _rest[(newline + 1)..];
        return true;
    }
}

/// <summary>Checks "Name &lt;email&gt; 1234567890 +0000" as git fsck does, and returns the time.</summary>
internal static class IdentValidator
{
    public static long Check(ReadOnlySpan<byte> ident, string what, bool strict = false)
    {
        if (strict && ident.StartsWith("<"u8)) throw new InvalidObjectException($"{what} line has no name before the email");
        int lt = ident.IndexOf((byte)'<');
        int gt = ident.IndexOf((byte)'>');
        if (lt < 0 || gt < lt) throw new InvalidObjectException($"{what} line has a bad email");
        if (lt > 0 && ident[lt - 1] != ' ') throw new InvalidObjectException($"{what} line has no space before the email");
        if (ident[..lt].IndexOfAny((byte)'<', (byte)'>') >= 0 || ident[(lt + 1)..gt].IndexOf((byte)'<') >= 0)
            throw new InvalidObjectException($"{what} line has a bad name");
        var rest = ident[(gt + 1)..];
        if (rest.Length == 0 || rest[0] != ' ') throw new InvalidObjectException($"{what} line has no date");
        rest = rest[1..];
        int space = rest.IndexOf((byte)' ');
        if (space <= 0) throw new InvalidObjectException($"{what} line has a bad date");
        // "0123": some readers take a leading zero for octal.
        if (strict && rest[0] == '0' && space > 1) throw new InvalidObjectException($"{what} line has a zero-padded date");
        long time = 0;
        foreach (var b in rest[..space])
        {
            if (b < '0' || b > '9') throw new InvalidObjectException($"{what} line has a bad date");
            time = time * 10 + (b - '0');
            if (time > 1L << 52) throw new InvalidObjectException($"{what} line has a date out of range");
        }
        var zone = rest[(space + 1)..];
        if (zone.Length != 5 || (zone[0] != '+' && zone[0] != '-'))
            throw new InvalidObjectException($"{what} line has a bad time zone");
        foreach (var b in zone[1..])
            if (b < '0' || b > '9') throw new InvalidObjectException($"{what} line has a bad time zone");
        return time;
    }
}
