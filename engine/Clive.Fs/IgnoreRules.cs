using System.Text.RegularExpressions;
using Clive.Git;

namespace Clive.Fs;

/// <summary>
/// Which paths stay in the mount but out of commits: editors' swap, backup and probe files, and
/// the patterns of the tree's root <c>.gitignore</c>, read as git reads them: <c>*</c>, <c>?</c>,
/// <c>[...]</c>, <c>**</c>, a leading or inner <c>/</c> anchors, a trailing <c>/</c> means a
/// directory, <c>!</c> re-includes, and the last pattern that matches decides. (Nested
/// .gitignore files are not read yet.)
/// </summary>
public sealed class IgnoreRules
{
    /// <summary>vim (.swp, .swx, its "4913" write probe, backups~), emacs (#auto-save#, .#locks), and their kin.</summary>
    private static readonly string[] BuiltIn = ["*.swp", "*.swo", "*.swx", "*.swpx", "*~", "4913", ".#*", "#*#", ".*.kate-swp", ".DS_Store"];

    private readonly List<(Regex Pattern, bool Negated)> _patterns;

    public IgnoreRules(string? gitignore)
    {
        _patterns = BuiltIn.Concat((gitignore ?? "").Split('\n')).Select(Compile).OfType<(Regex, bool)>().ToList();
    }

    /// <summary>The rules a mount's tree has now: the built-in ones and its root .gitignore.</summary>
    public static IgnoreRules Of(MountedTree tree)
        => new(tree.ReadFile(".gitignore") is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null);

    public bool IsIgnored(string path, bool isDirectory = false)
    {
        // As in git, a path inside an ignored directory is ignored whatever later patterns say.
        var segments = path.Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            bool directory = i < segments.Length - 1 || isDirectory;
            if (Decide(string.Join('/', segments[..(i + 1)]), directory)) return true;
        }
        return false;
    }

    private bool Decide(string path, bool directory)
    {
        var candidate = directory ? path + "/" : path;
        bool ignored = false;
        foreach (var (pattern, negated) in _patterns)
            if (pattern.IsMatch(candidate)) ignored = !negated;
        return ignored;
    }

    private static (Regex, bool)? Compile(string line)
    {
        var pattern = line.TrimEnd('\r');
        // Trailing spaces are ignored unless escaped; a leading '#' is a comment, "\#" a name.
        while (pattern.EndsWith(' ') && !pattern.EndsWith("\\ ")) pattern = pattern[..^1];
        if (pattern.Length == 0 || pattern[0] == '#') return null;
        bool negated = pattern[0] == '!';
        if (negated) pattern = pattern[1..];
        if (pattern.StartsWith("\\#") || pattern.StartsWith("\\!")) pattern = pattern[1..];
        bool directoryOnly = pattern.EndsWith('/');
        pattern = pattern.TrimEnd('/');
        if (pattern.Length == 0) return null;
        bool anchored = pattern.TrimStart('/').Contains('/') || pattern.StartsWith('/');
        pattern = pattern.TrimStart('/');

        var regex = (anchored ? "^" : "(^|/)") + Wildmatch.ToRegex(pattern) + (directoryOnly ? "/$" : "/?$");
        return (new Regex(regex, RegexOptions.CultureInvariant), negated);
    }
}
