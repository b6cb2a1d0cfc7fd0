namespace Clive.Git;

/// <summary>One entry of a tree object: mode, name and the id it points at.</summary>
public readonly record struct TreeEntry(int Mode, ReadOnlyMemory<byte> Name, ObjectId Id)
{
    public const int RegularFile = 0x81A4;     // 100644
    public const int ExecutableFile = 0x81ED;  // 100755
    public const int Symlink = 0xA000;         // 120000
    public const int Directory = 0x4000;       // 40000
    public const int Gitlink = 0xE000;         // 160000 (a submodule commit, not stored here)

    public bool IsTree => Mode == Directory;
    public bool IsGitlink => Mode == Gitlink;

    /// <summary>What the entry points at, or None for a submodule commit that lives elsewhere.</summary>
    public ObjectType TargetType => Mode switch
    {
        Directory => ObjectType.Tree,
        Gitlink => ObjectType.None,
        _ => ObjectType.Blob,
    };
}

public static class TreeParser
{
    /// <summary>Enumerates entries of a tree; throws <see cref="InvalidObjectException"/> when malformed.</summary>
    public static IEnumerable<TreeEntry> Entries(ReadOnlyMemory<byte> tree)
    {
        int pos = 0;
        while (pos < tree.Length)
        {
            var entry = ReadEntry(tree, ref pos);
            yield return entry;
        }
    }

    public static TreeEntry ReadEntry(ReadOnlyMemory<byte> tree, ref int pos)
    {
        var span = tree.Span;
        int space = span[pos..].IndexOf((byte)' ');
        if (space <= 0) throw new InvalidObjectException("tree entry has no mode");
        int mode = 0;
        foreach (var b in span.Slice(pos, space))
        {
            if (b < '0' || b > '7') throw new InvalidObjectException("tree entry mode is not octal");
            mode = mode * 8 + (b - '0');
        }
        if (span[pos] == '0') throw new InvalidObjectException("tree entry mode is zero-padded");
        int nameStart = pos + space + 1;
        int nul = span[nameStart..].IndexOf((byte)0);
        if (nul < 0 || nameStart + nul + 1 + ObjectId.ByteLength > span.Length)
            throw new InvalidObjectException("tree entry is truncated");
        var name = tree.Slice(nameStart, nul);
        var id = new ObjectId(span.Slice(nameStart + nul + 1, ObjectId.ByteLength));
        pos = nameStart + nul + 1 + ObjectId.ByteLength;
        return new TreeEntry(mode, name, id);
    }
}
