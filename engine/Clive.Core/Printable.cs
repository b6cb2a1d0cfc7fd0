namespace Clive;

/// <summary>
/// Untrusted text made fit for a one-line message: control characters shown as <c>\xNN</c>
/// (a newline would start a line of the attacker's choosing on the user's terminal, or in an
/// authorized_keys file), and cut short, so a 100,000-character name is still one short line.
/// </summary>
public static class Printable
{
    public const int DefaultMaxLength = 80;

    public static string Of(string text, int maxLength = DefaultMaxLength)
    {
        var shown = string.Concat(text.Take(maxLength).Select(c => char.IsControl(c) || c is '\u2028' or '\u2029' ? $"\\x{(int)c:x2}" : c.ToString()));
        return text.Length > maxLength ? $"{shown}… ({text.Length} characters)" : shown;
    }
}
