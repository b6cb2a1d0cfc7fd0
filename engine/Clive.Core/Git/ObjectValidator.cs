namespace Clive.Git;

/// <summary>
/// The checks <c>git fsck</c> (and <c>receive.fsckObjects</c>) makes of a new object, at error
/// severity, plus the names clive refuses outright: <c>.</c>, <c>..</c>, <c>.git</c> and names with
/// <c>/</c> would escape or corrupt a checkout.
/// </summary>
public static class ObjectValidator
{
    /// <summary>Validates one object and reports every object id it refers to.</summary>
    public static void Validate(ObjectType type, ReadOnlyMemory<byte> content, Action<ObjectId, ObjectType>? reference = null)
    {
        switch (type)
        {
            case ObjectType.Blob:
                return;
            case ObjectType.Tree:
                ValidateTree(content, reference);
                return;
            case ObjectType.Commit:
                var commit = CommitParser.Parse(content.Span);
                reference?.Invoke(commit.Tree, ObjectType.Tree);
                foreach (var parent in commit.Parents) reference?.Invoke(parent, ObjectType.Commit);
                return;
            case ObjectType.Tag:
                var tag = TagParser.Parse(content.Span);
                reference?.Invoke(tag.Target, tag.TargetType);
                return;
            default:
                throw new InvalidObjectException($"unknown object type {(int)type}");
        }
    }

    private static void ValidateTree(ReadOnlyMemory<byte> tree, Action<ObjectId, ObjectType>? reference)
    {
        int pos = 0;
        TreeEntry previous = default;
        bool first = true;
        while (pos < tree.Length)
        {
            var entry = TreeParser.ReadEntry(tree, ref pos);
            var name = entry.Name.Span;
            if (name.IsEmpty) throw new InvalidObjectException("tree has an entry with an empty name");
            if (name.IndexOf((byte)'/') >= 0) throw new InvalidObjectException("tree has an entry name containing '/'");
            if (name.SequenceEqual("."u8) || name.SequenceEqual(".."u8))
                throw new InvalidObjectException("tree has an entry named '.' or '..'");
            if (IsDotGit(name)) throw new InvalidObjectException("tree has an entry named '.git'");
            if (!IsKnownMode(entry.Mode)) throw new InvalidObjectException($"tree has an entry with bad mode {Convert.ToString(entry.Mode, 8)}");
            if (!first)
            {
                int order = CompareEntries(previous, entry);
                if (order == 0) throw new InvalidObjectException("tree has duplicate entries");
                if (order > 0) throw new InvalidObjectException("tree is not sorted");
            }
            if (entry.TargetType != ObjectType.None) reference?.Invoke(entry.Id, entry.TargetType);
            previous = entry;
            first = false;
        }
    }

    // 100664 is what very old gits wrote; fsck only warns about it.
    private static bool IsKnownMode(int mode) => mode is TreeEntry.RegularFile or TreeEntry.ExecutableFile
        or TreeEntry.Symlink or TreeEntry.Directory or TreeEntry.Gitlink or 0x81B4;

    private static bool IsDotGit(ReadOnlySpan<byte> name)
        => name.Length == 4 && name[0] == '.' && (name[1] | 0x20) == 'g' && (name[2] | 0x20) == 'i' && (name[3] | 0x20) == 't';

    /// <summary>Git's tree order: names compared bytewise, a directory as if its name ended in '/'.</summary>
    public static int CompareEntries(TreeEntry a, TreeEntry b)
    {
        var x = a.Name.Span;
        var y = b.Name.Span;
        int common = Math.Min(x.Length, y.Length);
        int c = x[..common].SequenceCompareTo(y[..common]);
        if (c != 0) return c;
        // Equal names are duplicates whatever their modes (git fsck: duplicateEntries).
        if (x.Length == y.Length) return 0;
        int nextA = x.Length > common ? x[common] : a.IsTree ? '/' : 0;
        int nextB = y.Length > common ? y[common] : b.IsTree ? '/' : 0;
        return nextA.CompareTo(nextB);
    }
}
