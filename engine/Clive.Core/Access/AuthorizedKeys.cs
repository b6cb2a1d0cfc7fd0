using System.Text;

namespace Clive.Access;

/// <summary>
/// The <c>authorized_keys</c> lines that let a plain sshd authenticate each identity's key and
/// then run nothing but <c>clive serve --identity NAME</c> (as gitolite does): sshd does
/// authentication, clive does authorization.
/// </summary>
public static class AuthorizedKeys
{
    public static string Render(IEnumerable<IdentityKey> keys, string clivePath, string? storeDirectory)
    {
        var text = new StringBuilder();
        foreach (var key in keys)
        {
            var command = $"{ShellQuote(clivePath)} serve --identity {key.Name}";
            if (storeDirectory is not null) command += " --store " + ShellQuote(storeDirectory);
            // Inside command="...", sshd unescapes \" only.
            text.Append("command=\"").Append(command.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append("\",restrict ")
                .Append(key.KeyType).Append(' ').Append(key.KeyData).Append(' ').Append(key.Name).Append('\n');
        }
        return text.ToString();
    }

    private static string ShellQuote(string word)
        => word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ':' or '@')
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";
}
