namespace Clive.Git;

/// <summary>
/// The checks git's fsck makes of a blob that a tree names <c>.gitmodules</c>: a client that
/// clones with <c>--recurse-submodules</c> runs what this file says, so a submodule name that
/// climbs out with <c>../</c> (CVE-2018-11235), or a url or path that starts with '-' and
/// becomes an option of ssh or git (CVE-2017-1000117), or an update command, is refused.
/// </summary>
public static class GitmodulesValidator
{
    public static void Validate(ReadOnlySpan<byte> blob)
    {
        foreach (var entry in GitConfigReader.Read(blob))
        {
            if (entry.Section != "submodule" || entry.Subsection is null) continue;
            var name = entry.Subsection;
            if (!IsAllowedName(name)) throw new InvalidObjectException($".gitmodules: disallowed submodule name: {name}");
            if (entry.Value is not { } value) continue;
            if (entry.Key == "url" && !IsAllowedUrl(value))
                throw new InvalidObjectException($".gitmodules: disallowed submodule url: {value}");
            if (entry.Key == "path" && value.StartsWith('-'))
                throw new InvalidObjectException($".gitmodules: disallowed submodule path: {value}");
            if (entry.Key == "update" && value.StartsWith('!'))
                throw new InvalidObjectException($".gitmodules: disallowed submodule update setting: {value}");
        }
    }

    /// <summary>Not empty, and no ".." between separators ('/' or '\', whatever the platform).</summary>
    private static bool IsAllowedName(string name)
        => name.Length > 0 && !name.Split('/', '\\').Contains("..");

    /// <summary>
    /// Not an option, and for a relative or <c>git://</c> url (which git may append to another
    /// and url-decode) no newline once decoded: that once leaked credentials (CVE-2020-5260).
    /// </summary>
    private static bool IsAllowedUrl(string url)
    {
        if (url.StartsWith('-')) return false;
        bool relative = url.StartsWith("./", StringComparison.Ordinal) || url.StartsWith("../", StringComparison.Ordinal);
        if (relative || url.StartsWith("git://", StringComparison.Ordinal))
        {
            if (Uri.UnescapeDataString(url).Contains('\n')) return false;
        }
        return true;
    }
}
