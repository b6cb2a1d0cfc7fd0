namespace Clive.Git;

/// <summary>
/// The checks <c>git fsck</c> (and <c>receive.fsckObjects</c>) makes of a new object, at error
/// severity, plus the names clive refuses outright: <c>.</c>, <c>..</c>, <c>.git</c> and names with
/// <c>/</c> would escape or corrupt a checkout.
/// </summary>
public static class ObjectValidator
{
    /// <summary>
    /// Validates one object and reports every object id it refers to, and the blobs its entries
    /// name <c>.gitmodules</c> or <c>.gitattributes</c> (whose content <see cref="SpecialFiles"/>
    /// must then check, wherever the blob comes from: git's fsck keeps <c>gitmodules_found</c>).
    /// </summary>
    public static void Validate(ObjectType type, ReadOnlyMemory<byte> content, Action<ObjectId, ObjectType>? reference = null,
        Action<ObjectId, SpecialFile>? special = null)
    {
        switch (type)
        {
            case ObjectType.Blob:
                return;
            case ObjectType.Tree:
                ValidateTree(content, reference, special);
                return;
            case ObjectType.Commit:
                CheckHeader(content.Span);
                var commit = CommitParser.Parse(content.Span, strict: true);
                // A message cut at a NUL by one reader and not by another shows two histories.
                if (content.Span.IndexOf((byte)0) >= 0) throw new InvalidObjectException("NUL byte in the commit message");
                reference?.Invoke(commit.Tree, ObjectType.Tree);
                foreach (var parent in commit.Parents) reference?.Invoke(parent, ObjectType.Commit);
                return;
            case ObjectType.Tag:
                CheckHeader(content.Span);
                var tag = TagParser.Parse(content.Span, strict: true);
                reference?.Invoke(tag.Target, tag.TargetType);
                return;
            default:
                throw new InvalidObjectException($"unknown object type {(int)type}");
        }
    }

    /// <summary>
    /// A commit's or tag's header ends at the first empty line, or with the object after a last
    /// newline, and holds no NUL: readers that stop at a NUL would see another object than git.
    /// </summary>
    private static void CheckHeader(ReadOnlySpan<byte> data)
    {
        int end = data.IndexOf("\n\n"u8);
        int nul = (end < 0 ? data : data[..end]).IndexOf((byte)0);
        if (nul >= 0) throw new InvalidObjectException($"unterminated header: NUL at offset {nul}");
        if (end < 0 && (data.IsEmpty || data[^1] != '\n')) throw new InvalidObjectException("unterminated header");
    }

    private static void ValidateTree(ReadOnlyMemory<byte> tree, Action<ObjectId, ObjectType>? reference, Action<ObjectId, SpecialFile>? special)
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
            if (DotGitNames.IsDotGit(name)) throw new InvalidObjectException($"tree has an entry named '{Printable(name)}', which some filesystem takes for '.git'");
            if (SpecialFiles.TryClassify(name, out var kind))
            {
                // git only notes a symlinked .gitattributes (it will not follow it); .gitmodules it refuses.
                if (entry.Mode == TreeEntry.Symlink && kind == SpecialFile.Gitmodules) throw new InvalidObjectException(".gitmodules is a symbolic link");
                if (entry.Mode != TreeEntry.Symlink && !entry.IsGitlink) special?.Invoke(entry.Id, kind);
            }
            if (entry.Id.IsZero) throw new InvalidObjectException("tree has an entry pointing to the null id");
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

    private static string Printable(ReadOnlySpan<byte> name)
        => string.Concat(System.Text.Encoding.UTF8.GetString(name).Select(c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format ? $"\\u{(int)c:x4}" : c.ToString()));

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
