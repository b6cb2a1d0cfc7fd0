using System.Text;

namespace Clive.Access;

/// <summary>
/// What an SSH client asked a forced <c>clive serve --identity</c> to do, read from
/// <c>SSH_ORIGINAL_COMMAND</c>. The words are split here, never by a shell, so nothing the
/// client sends is ever interpreted: "clive serve git-upload-pack 'demo'", the plain git form
/// "git-upload-pack '/demo'", or "grant bob write demo".
/// </summary>
public sealed record ServeRequest(string Verb, IReadOnlyList<string> Arguments)
{
    public static ServeRequest Parse(string command)
    {
        var words = SplitWords(command);
        // Accept the command with or without the program and subcommand in front of it.
        if (words.Count > 0 && (words[0] == "clive" || words[0].EndsWith("/clive", StringComparison.Ordinal))) words.RemoveAt(0);
        if (words.Count > 0 && words[0] == "serve") words.RemoveAt(0);
        if (words.Count == 0) throw new UsageException("no command given: this key only runs clive (git fetch/push, grant, revoke)");
        return new ServeRequest(words[0], words.Skip(1).ToList());
    }

    /// <summary>POSIX-shell-like word splitting with quotes and backslashes, and no expansion at all.</summary>
    public static List<string> SplitWords(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n':
                    if (inWord) words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                    break;
                case '\'':
                    int close = text.IndexOf('\'', i + 1);
                    if (close < 0) throw new UsageException("unterminated quote in command");
                    current.Append(text, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\') i++;
                        current.Append(text[i]);
                    }
                    if (i >= text.Length) throw new UsageException("unterminated quote in command");
                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 < text.Length) current.Append(text[++i]);
                    inWord = true;
                    break;
                default:
                    current.Append(c);
                    inWord = true;
                    break;
            }
        }
        if (inWord) words.Add(current.ToString());
        return words;
    }
}
