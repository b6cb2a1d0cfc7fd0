using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Clive.Access;

/// <summary>
/// An SSH public key, checked before it can reach an <c>authorized_keys</c> line: one line,
/// no control characters, a key type from <see cref="SupportedTypes"/>, and key data in SSH
/// wire format whose embedded type is the stated one. Anything else could let a key file (or a
/// row planted in the store) add a line of its own, one without the forced command.
/// </summary>
public sealed class SshPublicKey
{
    /// <summary>
    /// The types OpenSSH accepts by default. Not ssh-dss: OpenSSH disabled DSA keys (9.8) and then
    /// removed them, so such a line would only look as if it admitted someone.
    /// </summary>
    public static readonly IReadOnlyList<string> SupportedTypes =
    [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ];

    /// <summary>Far above any real key (a 16384-bit RSA key is under 3,000 characters).</summary>
    public const int MaxLineLength = 16 * 1024;

    private SshPublicKey(string type, byte[] blob, string comment)
    {
        Type = type;
        Blob = blob;
        Comment = comment;
    }

    public string Type { get; }
    public byte[] Blob { get; }
    public string Comment { get; }

    /// <summary>The key data as authorized_keys holds it: canonical base64 of the blob.</summary>
    public string Data => Convert.ToBase64String(Blob);

    /// <summary>OpenSSH's fingerprint, as <c>ssh-keygen -l</c> prints it: SHA256 of the blob, base64 without padding.</summary>
    public string Fingerprint => "SHA256:" + Convert.ToBase64String(SHA256.HashData(Blob)).TrimEnd('=');

    /// <summary>Reads a public key file's text: one line "type base64 [comment]", surrounding whitespace ignored.</summary>
    public static SshPublicKey Parse(string text)
    {
        var line = text.Trim();
        if (line.Length > MaxLineLength) throw Invalid($"it is longer than {MaxLineLength} characters");
        // A tab still separates fields, as in authorized_keys; every other control character
        // (\n, \r, \v, NEL…) could end the line for sshd or for a terminal showing it.
        if (line.Any(c => c != '\t' && IsLineBreakOrControl(c)))
            throw Invalid("it has a control character or a second line (give one key per identity)");
        var parts = line.Split((char[])[' ', '\t'], 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) throw Invalid("expected a line like 'ssh-ed25519 AAAA... comment'");
        return FromParts(parts[0], parts[1], parts.Length > 2 ? parts[2] : "");
    }

    /// <summary>Checks a key as the store holds it, before it is rendered again.</summary>
    public static SshPublicKey FromStored(string type, string data, string comment)
    {
        if (type.Any(IsLineBreakOrControl) || data.Any(IsLineBreakOrControl) || comment.Any(c => c != '\t' && IsLineBreakOrControl(c)))
            throw Invalid("it has a control character");
        return FromParts(type, data, comment);
    }

    private static SshPublicKey FromParts(string type, string data, string comment)
    {
        if (!SupportedTypes.Contains(type))
            throw Invalid($"'{Printable.Of(type, 40)}' is not a supported key type (use {string.Join(", ", SupportedTypes)})");
        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(data);
        }
        catch (FormatException)
        {
            throw Invalid("its key data is not base64");
        }
        var embedded = EmbeddedType(blob);
        if (embedded != type) throw Invalid($"the line says '{type}' but its key data says '{Printable.Of(embedded, 40)}' inside");
        return new SshPublicKey(type, blob, comment);
    }

    /// <summary>
    /// The blob's first field. The blob of every supported type is a sequence of SSH strings or
    /// mpints (both uint32 length + bytes), starting with the type: checked to the last byte.
    /// </summary>
    private static string EmbeddedType(ReadOnlySpan<byte> blob)
    {
        string? type = null;
        while (!blob.IsEmpty)
        {
            if (blob.Length < 4) throw Invalid("its key data is not in SSH wire format");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(blob);
            if (length > (uint)(blob.Length - 4)) throw Invalid("its key data is not in SSH wire format");
            type ??= Encoding.ASCII.GetString(blob.Slice(4, (int)length));
            blob = blob[(4 + (int)length)..];
        }
        return type ?? throw Invalid("its key data is empty");
    }

    private static bool IsLineBreakOrControl(char c)
        => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static UsageException Invalid(string why) => new($"not an SSH public key: {why}");
}
