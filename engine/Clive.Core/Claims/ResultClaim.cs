using System.Text;
using Clive.Git;
using Clive.Store.Repos;

namespace Clive.Claims;

/// <summary>
/// What a host says it computed: for the cell <see cref="Cell"/> of <see cref="Repo"/>, the run
/// whose key is <see cref="Key"/> read the objects <see cref="Inputs"/> and produced the result
/// commit <see cref="Result"/>, whose tree holds <see cref="Output"/> (<c>out/</c>) and
/// <see cref="Value"/> (<c>value.msgpack</c>). A claim is only a statement until its signature
/// verifies against a host key trusted for the repo (<see cref="ClaimVerifier"/>).
/// </summary>
public sealed record ResultClaim(string Repo, string Cell, string Key, IReadOnlyList<ObjectId> Inputs, ObjectId Result,
    ObjectId? Output, ObjectId? Value, string Host)
{
    private const string Header = "clive-claim 1";
    private const int MaxInputs = 100_000;
    private const int MaxLength = 64 * MaxInputs;

    /// <summary>
    /// The exact bytes signed: one field per line, inputs sorted and unique, so one claim has one
    /// text and a parsed text prints back to itself byte for byte.
    /// </summary>
    public byte[] CanonicalText()
    {
        Validate(this);
        var text = new StringBuilder(Header).Append('\n');
        text.Append("repo ").Append(Repo).Append('\n');
        text.Append("cell ").Append(Cell).Append('\n');
        text.Append("key ").Append(Key).Append('\n');
        foreach (var input in Inputs.Distinct().Order()) text.Append("input ").Append(input).Append('\n');
        text.Append("result ").Append(Result).Append('\n');
        text.Append("output ").Append(Output?.ToString() ?? "none").Append('\n');
        text.Append("value ").Append(Value?.ToString() ?? "none").Append('\n');
        text.Append("host ").Append(Host).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Reads a claim's canonical text; anything else (a field missing, repeated, out of order or unknown) is refused.</summary>
    public static ResultClaim Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength) throw Invalid("longer than any claim");
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid("not UTF-8");
        }
        if (!text.EndsWith('\n')) throw Invalid("the last line is not ended");
        var lines = text[..^1].Split('\n');
        int at = 0;
        string Field(string name)
        {
            if (at >= lines.Length || !lines[at].StartsWith(name + " ", StringComparison.Ordinal)) throw Invalid($"line {at + 1}: expected '{name} …'");
            return lines[at++][(name.Length + 1)..];
        }
        if (lines[at++] != Header) throw Invalid("not a clive claim (version 1)");
        var repo = Field("repo");
        var cell = Field("cell");
        var key = Field("key");
        var inputs = new List<ObjectId>();
        while (at < lines.Length && lines[at].StartsWith("input ", StringComparison.Ordinal)) inputs.Add(Id(Field("input")));
        var result = Id(Field("result"));
        var output = OptionalId(Field("output"));
        var value = OptionalId(Field("value"));
        var host = Field("host");
        if (at != lines.Length) throw Invalid($"line {at + 1}: unexpected '{Clive.Printable.Of(lines[at])}'");
        var claim = new ResultClaim(repo, cell, key, inputs, result, output, value, host);
        if (!claim.CanonicalText().AsSpan().SequenceEqual(bytes)) throw Invalid("not in canonical form (inputs sorted, each once)");
        return claim;
    }

    private static void Validate(ResultClaim claim)
    {
        RepoName.Normalize(claim.Repo);
        if (claim.Cell.Length is 0 or > 1024 || claim.Cell.Any(char.IsControl)) throw Invalid("the cell name is empty, too long or holds a control character");
        if (claim.Key.Length is < 16 or > 128 || !claim.Key.All(char.IsAsciiHexDigitLower)) throw Invalid("the key is not lower-case hex");
        if (claim.Inputs.Count > MaxInputs) throw Invalid("too many inputs");
        if (!HostName.IsValid(claim.Host)) throw Invalid($"'{Clive.Printable.Of(claim.Host)}' is not a host name ({HostName.Rule})");
    }

    private static ObjectId Id(string hex)
        => hex.Length == ObjectId.HexLength && hex.All(char.IsAsciiHexDigitLower) && ObjectId.TryParse(hex, out var id) ? id : throw Invalid($"'{Clive.Printable.Of(hex)}' is not an object id");

    private static ObjectId? OptionalId(string text) => text == "none" ? null : Id(text);

    private static CliveException Invalid(string why) => new ClaimRefusedException($"malformed claim: {why}");
}

/// <summary>The names hosts go by in claims and trust rows: what <c>hostname</c> gives, nothing a line or a shell could misread.</summary>
public static class HostName
{
    public const string Rule = "letters, digits, '.', '-' and '_', 1 to 253 characters, not starting with '-' or '.'";

    public static bool IsValid(string name)
        => name.Length is > 0 and <= 253 && name[0] is not ('-' or '.') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');

    public static string Validate(string name) => IsValid(name) ? name : throw new UsageException($"'{Clive.Printable.Of(name)}' is not a host name ({Rule})");
}
