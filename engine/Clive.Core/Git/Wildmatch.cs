using System.Text;
using System.Text.RegularExpressions;

namespace Clive.Git;

/// <summary>
/// git's path pattern language as a regular expression: <c>*</c> and <c>?</c> within one segment,
/// <c>**</c> across segments ("**/" any leading directories, "/**" everything inside, "/**/" zero
/// or more), <c>[...]</c> classes (<c>[!...]</c> negated, a leading <c>]</c> is literal), and
/// <c>\</c> escaping the next character. Used for .gitignore rules and for cell inputs.
/// </summary>
public static class Wildmatch
{
    /// <summary>The regular expression for <paramref name="pattern"/>, without anchors.</summary>
    public static string ToRegex(string pattern)
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
            else if (c == '[' && pattern.IndexOf(']', i + 2) is var close and > 0)
            {
                var set = pattern[(i + 1)..close];
                regex.Append('[').Append(set.StartsWith('!') ? "^" + Regex.Escape(set[1..]) : Regex.Escape(set)).Append(']');
                i = close;
            }
            else if (c == '\\' && i + 1 < pattern.Length) regex.Append(Regex.Escape(pattern[++i].ToString()));
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.ToString();
    }

    /// <summary>Whether a path segment holds a wildcard (anything <see cref="ToRegex"/> does not take literally).</summary>
    public static bool HasWildcard(string segment) => segment.IndexOfAny(['*', '?', '[', '\\']) >= 0;
}
