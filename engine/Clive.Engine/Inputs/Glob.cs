using System.Text;
using System.Text.RegularExpressions;

namespace Clive.Engine.Inputs;

/// <summary>
/// A path pattern: "*" and "?" within one segment, "**" across segments, "[a-z]" classes. A pattern
/// without wildcards names a file, or a directory and everything below it.
/// </summary>
public sealed class Glob
{
    private static readonly Dictionary<string, Glob> Cache = new(StringComparer.Ordinal);
    private readonly Regex? _regex;

    private Glob(string pattern)
    {
        Pattern = pattern;
        var segments = pattern.Split('/');
        int literal = 0;
        while (literal < segments.Length && !HasWildcard(segments[literal])) literal++;
        LiteralPrefix = string.Join('/', segments.Take(literal));
        if (literal < segments.Length) _regex = new Regex("^" + ToRegex(string.Join('/', segments.Skip(literal))) + "$", RegexOptions.CultureInvariant);
    }

    public string Pattern { get; }

    /// <summary>The directories before the first wildcard: only that subtree can hold matches.</summary>
    public string LiteralPrefix { get; }

    public bool IsLiteral => _regex is null;

    public static Glob Of(string pattern)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(pattern, out var glob)) Cache[pattern] = glob = new Glob(pattern);
            return glob;
        }
    }

    /// <summary>Whether a path below <see cref="LiteralPrefix"/> (given relative to it) matches.</summary>
    public bool MatchesBelowPrefix(string relative) => _regex is null || _regex.IsMatch(relative);

    /// <summary>Whether a full path matches: the literal form matches the path and everything below it.</summary>
    public bool Matches(string path)
    {
        if (LiteralPrefix.Length > 0)
        {
            if (!path.StartsWith(LiteralPrefix, StringComparison.Ordinal)) return false;
            if (path.Length == LiteralPrefix.Length) return _regex is null;
            if (path[LiteralPrefix.Length] != '/') return false;
            return MatchesBelowPrefix(path[(LiteralPrefix.Length + 1)..]);
        }
        return MatchesBelowPrefix(path);
    }

    private static bool HasWildcard(string segment) => segment.IndexOfAny(['*', '?', '[']) >= 0;

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                bool slashAfter = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slashAfter ? "(?:.*/)?" : ".*");
                i += slashAfter ? 2 : 1;
            }
            else if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else if (c == '[')
            {
                int end = pattern.IndexOf(']', i + 1);
                if (end < 0) { regex.Append(@"\["); continue; }
                var body = pattern[(i + 1)..end];
                regex.Append('[').Append(body.StartsWith('!') ? "^" + Regex.Escape(body[1..]) : Regex.Escape(body)).Append(']');
                i = end;
            }
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.ToString();
    }
}
