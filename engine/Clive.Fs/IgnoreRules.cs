using System.Text;
using System.Text.RegularExpressions;

namespace Clive.Fs;

/// <summary>
/// Which paths stay in the mount but out of commits: editors' swap, backup and probe files, and
/// the patterns of the tree's root <c>.gitignore</c> (basic globs: <c>*</c>, <c>?</c>, a leading
/// <c>/</c> anchors, a trailing <c>/</c> means a directory; negations are not supported yet).
/// </summary>
public sealed class IgnoreRules
{
    /// <summary>vim (.swp, .swx, its "4913" write probe, backups~), emacs (#auto-save#, .#locks), and their kin.</summary>
    private static readonly string[] BuiltIn = ["*.swp", "*.swo", "*.swx", "*.swpx", "*~", "4913", ".#*", "#*#", ".*.kate-swp", ".DS_Store"];

    private readonly List<Regex> _patterns;

    public IgnoreRules(string? gitignore)
    {
        _patterns = BuiltIn.Concat((gitignore ?? "").Split('\n')).Select(Compile).OfType<Regex>().ToList();
    }

    public bool IsIgnored(string path, bool isDirectory = false)
    {
        var segments = path.Split('/');
        for (int i = 0; i < segments.Length; i++)
        {
            var prefix = string.Join('/', segments[..(i + 1)]);
            bool directory = i < segments.Length - 1 || isDirectory;
            foreach (var p in _patterns)
                if (p.IsMatch(directory ? prefix + "/" : prefix)) return true;
        }
        return false;
    }

    private static Regex? Compile(string line)
    {
        var pattern = line.TrimEnd('\r', ' ');
        if (pattern.Length == 0 || pattern[0] == '#' || pattern[0] == '!') return null;
        bool directoryOnly = pattern.EndsWith('/');
        pattern = pattern.TrimEnd('/');
        bool anchored = pattern.Contains('/');
        pattern = pattern.TrimStart('/');
        var regex = new StringBuilder(anchored ? "^" : "(^|/)");
        foreach (var c in pattern)
        {
            regex.Append(c switch
            {
                '*' => "[^/]*",
                '?' => "[^/]",
                _ => Regex.Escape(c.ToString()),
            });
        }
        regex.Append(directoryOnly ? "/$" : "/?$");
        return new Regex(regex.ToString(), RegexOptions.CultureInvariant);
    }
}
