using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Clive.Store.Cells;

/// <summary>One named part of a cell's key: the kind of input ("files", "cell", "ref", "engine"…), which one (its subject), and what it was.</summary>
public sealed record KeyField(string Kind, string Subject, string Value);

/// <summary>
/// A cell's key with its parts named, so a cache miss can be explained (`clive why`), as BuildXL's
/// cache-miss analysis does. The key's bytes are SHA-256 over the fields with every string framed
/// by its length: two different lists of fields never hash alike, whatever characters paths hold.
/// Stored with each run as text, one field per line, its three strings separated by tabs (with
/// backslash, tab and newline escaped).
/// </summary>
public sealed class CellKey
{
    public CellKey(IReadOnlyList<KeyField> fields)
    {
        Fields = fields;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var field in fields)
        {
            Frame(hash, field.Kind);
            Frame(hash, field.Subject);
            Frame(hash, field.Value);
        }
        Bytes = hash.GetHashAndReset();
    }

    public IReadOnlyList<KeyField> Fields { get; }

    public byte[] Bytes { get; }

    public string Hex => Convert.ToHexStringLower(Bytes);

    public string ToText() => string.Concat(Fields.Select(f => $"{Escape(f.Kind)}\t{Escape(f.Subject)}\t{Escape(f.Value)}\n"));

    /// <summary>Reads <see cref="ToText"/> back; a line without three parts is a damaged store, said as such.</summary>
    public static CellKey Parse(string text)
        => new(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t') is [var kind, var subject, var value]
                ? new KeyField(Unescape(kind), Unescape(subject), Unescape(value))
                : throw new CliveException($"a stored cell key has a malformed field: '{line}'"))
            .ToList());

    private static void Frame(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\n", "\\n");

    private static string Unescape(string value)
    {
        var text = new StringBuilder(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\' || i + 1 == value.Length) { text.Append(value[i]); continue; }
            text.Append(value[++i] switch { 't' => '\t', 'n' => '\n', var c => c });
        }
        return text.ToString();
    }
}

/// <summary>A field that differs between two keys: only before (removed), only after (added), or both (changed).</summary>
public sealed record KeyChange(string Kind, string Subject, string? Before, string? After)
{
    public string What => Before is null ? "added" : After is null ? "removed" : "changed";
}

public static class KeyDiff
{
    /// <summary>
    /// The fields of <paramref name="after"/> that are not as in <paramref name="before"/>. Fields
    /// are matched by kind and subject (the n-th of several alike with the n-th), in the order of <paramref name="after"/>.
    /// </summary>
    public static IReadOnlyList<KeyChange> Between(CellKey before, CellKey after)
    {
        var earlier = Numbered(before);
        var later = Numbered(after);
        var changes = new List<KeyChange>();
        foreach (var (id, field) in later)
        {
            var old = earlier.FirstOrDefault(e => e.Id == id).Field;
            if (old is null) changes.Add(new KeyChange(field.Kind, field.Subject, null, field.Value));
            else if (old.Value != field.Value) changes.Add(new KeyChange(field.Kind, field.Subject, old.Value, field.Value));
        }
        foreach (var (id, field) in earlier)
            if (!later.Any(l => l.Id == id)) changes.Add(new KeyChange(field.Kind, field.Subject, field.Value, null));
        return changes;
    }

    private static List<((string Kind, string Subject, int Nth) Id, KeyField Field)> Numbered(CellKey key)
    {
        var seen = new Dictionary<(string, string), int>();
        var numbered = new List<((string, string, int), KeyField)>();
        foreach (var field in key.Fields)
        {
            int nth = seen.GetValueOrDefault((field.Kind, field.Subject));
            seen[(field.Kind, field.Subject)] = nth + 1;
            numbered.Add(((field.Kind, field.Subject, nth), field));
        }
        return numbered;
    }
}
