using System.Text.RegularExpressions;
using Clive.Git;

namespace Clive.Engine.Inputs;

/// <summary>
/// A cell's input pattern in git's language (<see cref="Wildmatch"/>), from the root of the tree. A
/// pattern without wildcards names a file, or a directory and everything below it.
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
        while (literal < segments.Length && !Wildmatch.HasWildcard(segments[literal])) literal++;
        LiteralPrefix = string.Join('/', segments.Take(literal));
        if (literal < segments.Length) _regex = new Regex("^" + Wildmatch.ToRegex(string.Join('/', segments.Skip(literal))) + "$", RegexOptions.CultureInvariant);
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
}
