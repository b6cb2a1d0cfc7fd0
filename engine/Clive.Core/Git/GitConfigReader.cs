using System.Text;

namespace Clive.Git;

/// <summary>One variable of a git config file: section and key lower-cased, subsection as written, value null for a bare key.</summary>
public readonly record struct ConfigEntry(string Section, string? Subsection, string Key, string? Value);

/// <summary>
/// Reads git's config syntax, as a blob holds it (<c>.gitmodules</c>): sections <c>[a "b"]</c> and
/// the old <c>[a.b]</c>, quoting, escapes, comments and continued lines. On text git's own parser
/// would stop at, it stops too and returns what came before.
/// </summary>
public static class GitConfigReader
{
    public static List<ConfigEntry> Read(ReadOnlySpan<byte> blob)
    {
        var text = Encoding.UTF8.GetString(blob);
        var entries = new List<ConfigEntry>();
        string? section = null, subsection = null;
        int pos = 0;
        if (text.StartsWith('\uFEFF')) pos = 1;
        while (pos < text.Length)
        {
            char c = text[pos];
            if (c is ' ' or '\t' or '\r' or '\n') { pos++; continue; }
            if (c is '#' or ';') { pos = LineEnd(text, pos); continue; }
            if (c == '[')
            {
                if (!ReadSectionHeader(text, ref pos, out section, out subsection)) return entries;
                continue;
            }
            if (!char.IsAsciiLetter(c) || section is null) return entries;
            int start = pos;
            while (pos < text.Length && (char.IsAsciiLetterOrDigit(text[pos]) || text[pos] == '-')) pos++;
            var key = text[start..pos].ToLowerInvariant();
            while (pos < text.Length && text[pos] is ' ' or '\t') pos++;
            if (pos >= text.Length || text[pos] == '\n' || text[pos] is '#' or ';')
            {
                entries.Add(new ConfigEntry(section, subsection, key, null));
                continue;
            }
            if (text[pos] != '=' ) return entries;
            pos++;
            if (!ReadValue(text, ref pos, out var value)) return entries;
            entries.Add(new ConfigEntry(section, subsection, key, value));
        }
        return entries;
    }

    private static int LineEnd(string text, int pos)
    {
        int newline = text.IndexOf('\n', pos);
        return newline < 0 ? text.Length : newline + 1;
    }

    private static bool ReadSectionHeader(string text, ref int pos, out string? section, out string? subsection)
    {
        section = subsection = null;
        pos++; // '['
        int start = pos;
        while (pos < text.Length && (char.IsAsciiLetterOrDigit(text[pos]) || text[pos] is '-' or '.')) pos++;
        if (pos >= text.Length) return false;
        var name = text[start..pos];
        if (text[pos] == ']')
        {
            pos++;
            // [section.sub]: the old form, whose subsection git lower-cases.
            int dot = name.IndexOf('.');
            section = (dot < 0 ? name : name[..dot]).ToLowerInvariant();
            subsection = dot < 0 ? null : name[(dot + 1)..].ToLowerInvariant();
            return section.Length > 0;
        }
        if (name.Contains('.') || name.Length == 0) return false;
        section = name.ToLowerInvariant();
        while (pos < text.Length && text[pos] is ' ' or '\t') pos++;
        if (pos >= text.Length || text[pos] != '"') return false;
        pos++;
        var sub = new StringBuilder();
        while (true)
        {
            if (pos >= text.Length || text[pos] == '\n') return false;
            char c = text[pos++];
            if (c == '"') break;
            if (c == '\\')
            {
                if (pos >= text.Length || text[pos] == '\n') return false;
                c = text[pos++];
            }
            sub.Append(c);
        }
        if (pos >= text.Length || text[pos] != ']') return false;
        pos++;
        subsection = sub.ToString();
        return true;
    }

    private static bool ReadValue(string text, ref int pos, out string value)
    {
        var sb = new StringBuilder();
        bool quoted = false, started = false;
        int trailing = 0; // unquoted whitespace seen last, dropped unless more text follows
        while (pos < text.Length)
        {
            char c = text[pos++];
            if (c == '\n')
            {
                if (quoted) { value = ""; return false; }
                break;
            }
            if (!quoted && c is ';' or '#')
            {
                pos = LineEnd(text, pos - 1);
                break;
            }
            if (!quoted && c is ' ' or '\t')
            {
                if (started) trailing++;
                if (started) sb.Append(c);
                continue;
            }
            if (c == '\r' && pos < text.Length && text[pos] == '\n') continue;
            started = true;
            trailing = 0;
            if (c == '\\')
            {
                if (pos >= text.Length) { value = ""; return false; }
                char e = text[pos++];
                switch (e)
                {
                    case '\n': break; // a continued line
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'b': if (sb.Length > 0) sb.Length--; break;
                    case '\\': case '"': sb.Append(e); break;
                    default: value = ""; return false;
                }
                continue;
            }
            if (c == '"')
            {
                quoted = !quoted;
                continue;
            }
            sb.Append(c);
        }
        if (quoted) { value = ""; return false; }
        sb.Length -= trailing;
        value = sb.ToString();
        return true;
    }
}
