using System.Text;

namespace Clive.Access;

/// <summary>
/// The <c>authorized_keys</c> lines that let a plain sshd authenticate each identity's key and
/// then run nothing but <c>clive serve --identity NAME --key FINGERPRINT</c> (as gitolite does):
/// sshd does authentication, clive does authorization.
/// </summary>
public static class AuthorizedKeys
{
    /// <summary>
    /// One line per identity whose stored row still passes every check; a row that does not
    /// (written by an older clive, or planted in the database) is reported to
    /// <paramref name="skipped"/> and never printed, since sshd would read whatever it holds.
    /// </summary>
    public static string Render(IEnumerable<IdentityKey> keys, string clivePath, string? storeDirectory, Action<string> skipped)
    {
        var fixedPart = ShellQuote(RequireOneLine(clivePath, "clive's path")) + " serve --identity ";
        var storePart = storeDirectory is null ? "" : " --store " + ShellQuote(RequireOneLine(storeDirectory, "the store's path"));
        var text = new StringBuilder();
        foreach (var row in keys)
        {
            SshPublicKey key;
            try
            {
                IdentityName.Validate(row.Name);
                key = SshPublicKey.FromStored(row.KeyType, row.KeyData, row.Comment);
            }
            catch (UsageException e)
            {
                skipped($"skipping identity '{Printable.Of(row.Name)}': {Printable.Of(e.Message, 200)}");
                continue;
            }
            // The fingerprint binds the line to this key: if the identity later gets another key,
            // a line left installed for the old one is refused (AccessControl.DemandKey).
            var command = fixedPart + row.Name + " --key " + key.Fingerprint + storePart;
            // Inside command="...", sshd unescapes \" only. The trailing field is the identity's
            // name, never the key file's comment.
            text.Append("command=\"").Append(command.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append("\",restrict ")
                .Append(key.Type).Append(' ').Append(key.Data).Append(' ').Append(row.Name).Append('\n');
        }
        return text.ToString();
    }

    private static string RequireOneLine(string path, string what)
        => path.Any(char.IsControl) ? throw new CliveException($"{what} '{Printable.Of(path, 200)}' has a control character: an authorized_keys line cannot hold it") : path;

    private static string ShellQuote(string word)
        => word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ':' or '@')
            ? word
            : "'" + word.Replace("'", "'\\''") + "'";
}
