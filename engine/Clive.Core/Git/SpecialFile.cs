namespace Clive.Git;

/// <summary>Files whose content git's fsck checks because git itself acts on them after a checkout.</summary>
public enum SpecialFile
{
    Gitmodules,
    Gitattributes,
}

public static class SpecialFiles
{
    /// <summary>What a tree entry's name makes it, HFS+ and NTFS look-alikes included; false for an ordinary file.</summary>
    public static bool TryClassify(ReadOnlySpan<byte> name, out SpecialFile kind)
    {
        kind = DotGitNames.IsDotGitmodules(name) ? SpecialFile.Gitmodules : SpecialFile.Gitattributes;
        return kind == SpecialFile.Gitmodules || DotGitNames.IsDotGitattributes(name);
    }

    public static string FileName(this SpecialFile kind) => kind == SpecialFile.Gitmodules ? ".gitmodules" : ".gitattributes";

    /// <summary>Throws <see cref="InvalidObjectException"/> when the content breaks git's rules for this file.</summary>
    public static void Validate(SpecialFile kind, ReadOnlySpan<byte> content)
    {
        if (kind == SpecialFile.Gitmodules) GitmodulesValidator.Validate(content);
        else GitattributesValidator.Validate(content);
    }
}

/// <summary>
/// git (2.39.1 on, CVE-2022-23521) refuses .gitattributes it would not parse safely: over 100 MiB,
/// or with a line of 2048 bytes or more.
/// </summary>
public static class GitattributesValidator
{
    private const int MaxLineLength = 2048;
    private const int MaxSize = 100 * 1024 * 1024;

    public static void Validate(ReadOnlySpan<byte> content)
    {
        if (content.Length > MaxSize) throw new InvalidObjectException(".gitattributes too large to parse");
        // git reads it as a C string: a NUL ends it.
        int nul = content.IndexOf((byte)0);
        if (nul >= 0) content = content[..nul];
        foreach (var line in content.Split((byte)'\n'))
        {
            if (line.End.GetOffset(content.Length) - line.Start.GetOffset(content.Length) >= MaxLineLength)
                throw new InvalidObjectException(".gitattributes has too long lines to parse");
        }
    }
}
