using System.Text.RegularExpressions;
using Clive.Git;

namespace Clive.Fs;

/// <summary>
/// Which paths stay in the mount but out of commits: editors' swap, backup and probe files, and
/// the patterns of the tree's <c>.gitignore</c> files, read as git reads them: each file's
/// patterns are relative to its directory, <c>*</c>, <c>?</c>, <c>[...]</c>, <c>**</c>, a leading or
/// inner <c>/</c> anchors, a trailing <c>/</c> means a directory, <c>!</c> re-includes, and the last
/// pattern that matches decides, a deeper file's after a shallower one's.
/// </summary>
public sealed class IgnoreRules
{
    /// <summary>vim (.swp, .swx, its "4913" write probe, backups~), emacs (#auto-save#, .#locks), and their kin.</summary>
    private static readonly List<(Regex Pattern, bool Negated)> BuiltIn =
        new[] { "*.swp", "*.swo", "*.swx", "*.swpx", "*~", "4913", ".#*", "#*#", ".*.kate-swp", ".DS_Store" }.Select(Compile).OfType<(Regex, bool)>().ToList();

    private readonly Func<string, string?> _gitignoreOf;
    private readonly Dictionary<string, List<(Regex Pattern, bool Negated)>> _byDirectory = new(StringComparer.Ordinal);

    /// <summary>Rules from one root <c>.gitignore</c> text.</summary>
    public IgnoreRules(string? gitignore) : this(directory => directory.Length == 0 ? gitignore : null)
    {
    }

    /// <param name="gitignoreOf">The text of a directory's <c>.gitignore</c> ("" is the root), or null; read once per directory.</param>
    public IgnoreRules(Func<string, string?> gitignoreOf) => _gitignoreOf = gitignoreOf;

    /// <summary>The rules a mount's tree has now: the built-in ones and its .gitignore files.</summary>
    public static IgnoreRules Of(MountedTree tree)
        => new(directory => tree.ReadFile(directory.Length == 0 ? ".gitignore" : directory + "/.gitignore") is { } bytes
            ? System.Text.Encoding.UTF8.GetString(bytes) : null);

    public bool IsIgnored(string path, bool isDirectory = false)
    {
        // As in git, a path inside an ignored directory is ignored whatever later patterns say
        // (and that directory's own .gitignore is never read).
        var segments = path.Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            bool directory = i < segments.Length - 1 || isDirectory;
            if (Decide(segments[..(i + 1)], directory)) return true;
        }
        return false;
    }

    private bool Decide(string[] segments, bool directory)
    {
        string Candidate(int from) => string.Join('/', segments[from..]) + (directory ? "/" : "");
        bool ignored = Matches(BuiltIn, Candidate(0), false);
        // Each directory from the root down to the path's own: a deeper .gitignore decides after a shallower one.
        for (int depth = 0; depth < segments.Length; depth++)
            ignored = Matches(Patterns(string.Join('/', segments[..depth])), Candidate(depth), ignored);
        return ignored;
    }

    private static bool Matches(List<(Regex Pattern, bool Negated)> patterns, string candidate, bool ignored)
    {
        foreach (var (pattern, negated) in patterns)
            if (pattern.IsMatch(candidate)) ignored = !negated;
        return ignored;
    }

    private List<(Regex Pattern, bool Negated)> Patterns(string directory)
    {
        if (!_byDirectory.TryGetValue(directory, out var patterns))
            _byDirectory[directory] = patterns = (_gitignoreOf(directory) ?? "").Split('\n').Select(Compile).OfType<(Regex, bool)>().ToList();
        return patterns;
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
