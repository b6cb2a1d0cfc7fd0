using System.Buffers.Binary;
using System.Numerics;

namespace Clive.Git.Sha1;

/// <summary>
/// SHA-1 with collision detection: Stevens's counter-cryptanalysis ("Counter-cryptanalysis",
/// CRYPTO 2013), sped up by Stevens and Shumow's unavoidable bit conditions (USENIX Security
/// 2017), the method upstream git ships as sha1dc. Every known way to make SHA-1 collide
/// (SHAttered, SHA-1 is a Shambles) ends with a near-collision block built on one of 32
/// disturbance vectors; for each block, the vectors whose unavoidable conditions it meets are
/// tested by recomputing the partner block that attack would pair it with. If the partner reaches
/// the same output from another input, this block is one half of a collision.
/// The digest is plain SHA-1 either way (git's choice, with sha1dc's "safe hash" off): a detected
/// collision is reported, and the caller refuses the data.
/// </summary>
public sealed class CollisionDetectingSha1
{
    public const int DigestLength = 20;
    private const int BlockLength = 64;

    private Sha1State _ihv;
    private readonly byte[] _buffer = new byte[BlockLength];
    private int _buffered;
    private long _length;
    private bool _collision;
    private ExpandedBlock _w;
    private ExpandedBlock _partner;
    private Sha1State _before58;
    private Sha1State _before65;

    public CollisionDetectingSha1() => Reset();

    /// <summary>Whether a block hashed since the last reset was part of a collision attack.</summary>
    public bool CollisionDetected => _collision;

    /// <summary>Hashes <paramref name="data"/> into <paramref name="digest"/>; true if it shows a collision attack.</summary>
    public static bool HashData(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        var hasher = new CollisionDetectingSha1();
        hasher.Append(data);
        return hasher.Finish(digest);
    }

    public void Reset()
    {
        _ihv[0] = 0x67452301; _ihv[1] = 0xEFCDAB89; _ihv[2] = 0x98BADCFE; _ihv[3] = 0x10325476; _ihv[4] = 0xC3D2E1F0;
        _buffered = 0;
        _length = 0;
        _collision = false;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        _length += data.Length;
        if (_buffered > 0)
        {
            int take = Math.Min(BlockLength - _buffered, data.Length);
            data[..take].CopyTo(_buffer.AsSpan(_buffered));
            _buffered += take;
            data = data[take..];
            if (_buffered < BlockLength) return;
            Process(_buffer);
            _buffered = 0;
        }
        while (data.Length >= BlockLength)
        {
            Process(data[..BlockLength]);
            data = data[BlockLength..];
        }
        data.CopyTo(_buffer);
        _buffered = data.Length;
    }

    /// <summary>Writes the SHA-1 digest and resets; returns true if the data showed a collision attack.</summary>
    public bool Finish(Span<byte> digest)
    {
        if (digest.Length < DigestLength) throw new ArgumentException("a SHA-1 digest needs 20 bytes", nameof(digest));
        long bits = _length * 8;
        var pad = _buffer.AsSpan();
        pad[_buffered++] = 0x80;
        if (_buffered > BlockLength - 8)
        {
            pad[_buffered..].Clear();
            Process(pad);
            _buffered = 0;
        }
        pad[_buffered..(BlockLength - 8)].Clear();
        BinaryPrimitives.WriteInt64BigEndian(pad[(BlockLength - 8)..], bits);
        Process(pad);
        for (int i = 0; i < 5; i++) BinaryPrimitives.WriteUInt32BigEndian(digest[(4 * i)..], _ihv[i]);
        bool collision = _collision;
        Reset();
        return collision;
    }

    private void Process(ReadOnlySpan<byte> block)
    {
        Sha1Block.Compress(ref _ihv, block, ref _w, ref _before58, ref _before65);
        uint survivors = UnavoidableConditions.Survivors(_w);
        while (survivors != 0 && !_collision)
        {
            var vector = DisturbanceVectors.All[BitOperations.TrailingZeroCount(survivors)];
            survivors &= survivors - 1;
            _collision = PartnerCollides(vector);
        }
    }

    /// <summary>
    /// The block this one would be paired with under <paramref name="vector"/> (its message XOR the
    /// vector's difference) shares the state at the vector's test step; run from there, backwards
    /// to an input and forwards to an output. Reaching this block's output means a collision.
    /// </summary>
    private bool PartnerCollides(DisturbanceVectors.Vector vector)
    {
        Span<uint> partner = _partner;
        ReadOnlySpan<uint> w = _w;
        var difference = vector.MessageDifference;
        for (int t = 0; t < 80; t++) partner[t] = w[t] ^ difference[t];
        var state = vector.TestStep == DisturbanceVectors.EarlyTestStep ? _before58 : _before65;
        Sha1Block.Recompress(partner, vector.TestStep, state, out _, out var output);
        return ((output[0] ^ _ihv[0]) | (output[1] ^ _ihv[1]) | (output[2] ^ _ihv[2]) | (output[3] ^ _ihv[3]) | (output[4] ^ _ihv[4])) == 0;
    }
}
