using System.Text;

namespace Clive.Git;

/// <summary>
/// Tree entry names that some filesystem would take for <c>.git</c> or <c>.gitmodules</c>: a
/// checkout there writes into the repository's own metadata (CVE-2014-9390, CVE-2018-11235,
/// CVE-2019-1352). The rules are git's (<c>is_hfs_dotgit</c>, <c>is_ntfs_dotgit</c>,
/// <c>is_ntfs_dotgitmodules</c>), judged on every platform because a clone may land on any.
/// </summary>
public static class DotGitNames
{
    /// <summary><c>.git</c> as HFS+ (case, ignorable code points) or NTFS (case, trailing dots and spaces, 8.3 name, streams) sees it.</summary>
    public static bool IsDotGit(ReadOnlySpan<byte> name)
    {
        if (IsHfsDot(name, "git"u8)) return true;
        // A backslash separates directories on Windows: judge every part.
        foreach (var range in name.Split((byte)'\\'))
            if (IsNtfsDotGit(name[range])) return true;
        return false;
    }

    /// <summary><c>.gitmodules</c> as HFS+ or NTFS sees it (8.3 names <c>gitmod~1</c> and <c>gi7eba~N</c> included).</summary>
    public static bool IsDotGitmodules(ReadOnlySpan<byte> name)
        => IsHfsDot(name, "gitmodules"u8) || IsNtfsDotGeneric(name, "gitmodules"u8, "gi7eba"u8);

    /// <summary><c>.gitattributes</c> as HFS+ or NTFS sees it.</summary>
    public static bool IsDotGitattributes(ReadOnlySpan<byte> name)
        => IsHfsDot(name, "gitattributes"u8) || IsNtfsDotGeneric(name, "gitattributes"u8, "gi7d29"u8);

    /// <summary><c>.git</c> or <c>git~1</c>, any case, then only dots and spaces up to the end or a ':' (an alternate data stream).</summary>
    private static bool IsNtfsDotGit(ReadOnlySpan<byte> name)
    {
        ReadOnlySpan<byte> rest;
        if (name.Length >= 4 && name[0] == '.' && Ascii.EqualsIgnoreCase(name[1..4], "git"u8)) rest = name[4..];
        else if (name.Length >= 5 && Ascii.EqualsIgnoreCase(name[..3], "git"u8) && name[3] == '~' && name[4] == '1') rest = name[5..];
        else return false;
        return OnlyDotsAndSpaces(rest);
    }

    private static bool IsNtfsDotGeneric(ReadOnlySpan<byte> name, ReadOnlySpan<byte> dotless, ReadOnlySpan<byte> shortPrefix)
    {
        if (name.Length > dotless.Length && name[0] == '.' && Ascii.EqualsIgnoreCase(name.Slice(1, dotless.Length), dotless))
            return OnlyDotsAndSpaces(name[(dotless.Length + 1)..]);
        // The usual 8.3 name: the first six letters, then ~1 to ~4.
        if (name.Length >= 8 && Ascii.EqualsIgnoreCase(name[..6], dotless[..6]) && name[6] == '~' && name[7] is >= (byte)'1' and <= (byte)'4')
            return OnlyDotsAndSpaces(name[8..]);
        // The fall-back 8.3 name NTFS makes from a hash: up to six letters of the given prefix, '~', a digit 1-9, digits.
        bool sawTilde = false;
        for (int i = 0; i < 8; i++)
        {
            if (i >= name.Length) return false;
            byte c = name[i];
            if (sawTilde)
            {
                if (c is < (byte)'0' or > (byte)'9') return false;
            }
            else if (c == '~')
            {
                if (++i >= name.Length || name[i] is < (byte)'1' or > (byte)'9') return false;
                sawTilde = true;
            }
            else if (i >= 6 || c >= 0x80 || (byte)char.ToLowerInvariant((char)c) != shortPrefix[i])
            {
                return false;
            }
        }
        return OnlyDotsAndSpaces(name[8..]);
    }

    private static bool OnlyDotsAndSpaces(ReadOnlySpan<byte> rest)
    {
        foreach (var c in rest)
        {
            if (c == ':') return true;
            if (c != '.' && c != ' ') return false;
        }
        return true;
    }

    /// <summary>'.' then <paramref name="dotless"/> in any case, with HFS+'s ignorable code points anywhere.</summary>
    private static bool IsHfsDot(ReadOnlySpan<byte> name, ReadOnlySpan<byte> dotless)
    {
        int pos = 0;
        if (NextHfsChar(name, ref pos) != '.') return false;
        foreach (var expected in dotless)
        {
            int c = NextHfsChar(name, ref pos);
            if (c > 127 || char.ToLowerInvariant((char)c) != expected) return false;
        }
        return NextHfsChar(name, ref pos) == 0;
    }

    /// <summary>The next code point that HFS+ does not ignore, or 0 at the end; an invalid byte stands for itself.</summary>
    private static int NextHfsChar(ReadOnlySpan<byte> name, ref int pos)
    {
        while (pos < name.Length)
        {
            if (Rune.DecodeFromUtf8(name[pos..], out var rune, out int length) != System.Buffers.OperationStatus.Done)
                return name[pos++];
            pos += length;
            int c = rune.Value;
            bool ignorable = c is (>= 0x200C and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x206A and <= 0x206F) or 0xFEFF;
            if (!ignorable) return c;
        }
        return 0;
    }
}
