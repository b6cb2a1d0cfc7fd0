using System.Buffers.Binary;
using Clive.Git.Sha1;

namespace Clive.Git;

/// <summary>
/// A Git object name. The hash width lives here and only here, so that SHA-256 can follow.
/// </summary>
public readonly struct ObjectId : IEquatable<ObjectId>, IComparable<ObjectId>
{
    public const int ByteLength = 20;
    public const int HexLength = ByteLength * 2;

    // Three fields instead of a byte[]: no allocation per id, cheap equality and hashing.
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    public static readonly ObjectId Zero = default;

    public ObjectId(ReadOnlySpan<byte> raw)
    {
        if (raw.Length < ByteLength) throw new ArgumentException("an object id needs 20 bytes", nameof(raw));
        _a = BinaryPrimitives.ReadUInt64BigEndian(raw);
        _b = BinaryPrimitives.ReadUInt64BigEndian(raw[8..]);
        _c = BinaryPrimitives.ReadUInt32BigEndian(raw[16..]);
    }

    public bool IsZero => _a == 0 && _b == 0 && _c == 0;

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _c);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    public static ObjectId Parse(ReadOnlySpan<char> hex)
        => TryParse(hex, out var id) ? id : throw new FormatException($"not an object id: '{hex}'");

    public static bool TryParse(ReadOnlySpan<char> hex, out ObjectId id)
    {
        id = default;
        if (hex.Length != HexLength) return false;
        Span<byte> raw = stackalloc byte[ByteLength];
        for (int i = 0; i < ByteLength; i++)
        {
            int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return false;
            raw[i] = (byte)(hi << 4 | lo);
        }
        id = new ObjectId(raw);
        return true;
    }

    public static bool TryParse(ReadOnlySpan<byte> asciiHex, out ObjectId id)
    {
        id = default;
        if (asciiHex.Length != HexLength) return false;
        Span<char> chars = stackalloc char[HexLength];
        for (int i = 0; i < HexLength; i++) chars[i] = (char)asciiHex[i];
        return TryParse(chars, out id);
    }

    // Git accepts only lowercase hex in object headers; fsck rejects uppercase.
    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    // One hasher per thread: objects are hashed one at a time, millions per push.
    [ThreadStatic] private static CollisionDetectingSha1? t_hasher;

    /// <summary>
    /// The id git gives this object. Every id computed from content goes through collision
    /// detection, as in git: content can always have come from outside.
    /// </summary>
    /// <exception cref="CollisionAttackException">The content is one half of a SHA-1 collision attack.</exception>
    public static ObjectId HashObject(ObjectType type, ReadOnlySpan<byte> content)
    {
        var hash = t_hasher ??= new CollisionDetectingSha1();
        hash.Reset();
        Span<byte> header = stackalloc byte[32];
        hash.Append(header[..ObjectHeader.Write(header, type, content.Length)]);
        hash.Append(content);
        return Finish(hash);
    }

    /// <summary>The id whose content <paramref name="hash"/> has taken in (header first); refuses a collision attack.</summary>
    public static ObjectId Finish(CollisionDetectingSha1 hash)
    {
        Span<byte> digest = stackalloc byte[ByteLength];
        bool collision = hash.Finish(digest);
        var id = new ObjectId(digest);
        if (collision) throw new CollisionAttackException(id.ToString());
        return id;
    }

    public override string ToString()
    {
        Span<byte> raw = stackalloc byte[ByteLength];
        WriteTo(raw);
        return Convert.ToHexStringLower(raw);
    }

    public bool Equals(ObjectId other) => _a == other._a && _b == other._b && _c == other._c;
    public override bool Equals(object? obj) => obj is ObjectId other && Equals(other);
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32) ^ (int)_b;
    public int CompareTo(ObjectId other)
    {
        int c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        return c != 0 ? c : _c.CompareTo(other._c);
    }
    public static bool operator ==(ObjectId left, ObjectId right) => left.Equals(right);
    public static bool operator !=(ObjectId left, ObjectId right) => !left.Equals(right);
}
