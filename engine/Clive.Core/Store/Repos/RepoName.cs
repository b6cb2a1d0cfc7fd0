namespace Clive.Store.Repos;

/// <summary>
/// Repo names: segments of letters, digits, '.', '_' and '-' joined by '/', as in <c>team/app</c>.
/// Never '..', a leading '.', control characters or anything a shell would interpret: a name
/// reaches file paths and, over SSH, a remote command line.
/// </summary>
public static class RepoName
{
    public const int MaxLength = 200;

    /// <summary>Returns the canonical name (a trailing ".git" or "/" dropped), or throws.</summary>
    public static string Normalize(string name)
    {
        var trimmed = name.TrimEnd('/');
        if (trimmed.EndsWith(".git", StringComparison.Ordinal) && trimmed.Length > 4) trimmed = trimmed[..^4];
        if (trimmed.Length == 0) throw new InvalidRepoNameException(name, "it is empty");
        if (trimmed.Length > MaxLength) throw new InvalidRepoNameException(name, $"it is longer than {MaxLength} characters");
        foreach (var segment in trimmed.Split('/'))
        {
            if (segment.Length == 0) throw new InvalidRepoNameException(name, "it has an empty path segment");
            if (segment == "." || segment == "..") throw new InvalidRepoNameException(name, "'.' and '..' are not allowed");
            if (segment[0] == '.') throw new InvalidRepoNameException(name, "a segment may not start with '.'");
            foreach (var c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                    throw new InvalidRepoNameException(name, "only letters, digits, '.', '_', '-' and '/' are allowed");
            }
        }
        return trimmed;
    }
}
