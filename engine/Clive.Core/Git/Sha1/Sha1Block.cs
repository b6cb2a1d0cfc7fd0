using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Clive.Git.Sha1;

/// <summary>Five words of SHA-1 state: a chaining value, or the working variables a..e before a step.</summary>
[InlineArray(5)]
internal struct Sha1State
{
    private uint _word;
}

/// <summary>A block's 80-word expanded message.</summary>
[InlineArray(80)]
internal struct ExpandedBlock
{
    private uint _word;
}

/// <summary>
/// SHA-1's compression function, written to serve collision detection: besides updating the
/// chaining value it leaves the expanded message and the working state before the steps where
/// the disturbance vectors are tested, and it can recompute a block's partner from such a state.
/// </summary>
internal static class Sha1Block
{
    private const uint K1 = 0x5A827999, K2 = 0x6ED9EBA1, K3 = 0x8F1BBCDC, K4 = 0xCA62C1D6;

    /// <summary>
    /// Compresses <paramref name="block"/> (64 bytes) into <paramref name="ihv"/>, leaving its expanded
    /// message in <paramref name="w"/> and the states before steps 58 and 65 in the last two.
    /// </summary>
    public static unsafe void Compress(ref Sha1State ihv, ReadOnlySpan<byte> block, ref ExpandedBlock w, ref Sha1State before58, ref Sha1State before65)
    {
        if (block.Length < 64) throw new ArgumentException("a SHA-1 block has 64 bytes", nameof(block));
        // Pointers: this runs once per 64 bytes of every object, and bounds checks cost a third.
        fixed (byte* m = block)
        fixed (uint* x = (Span<uint>)w)
        {
            Expand(m, x);
            Steps(ref ihv, x, ref before58, ref before65);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Steps(ref Sha1State ihv, uint* x, ref Sha1State before58, ref Sha1State before65)
    {
        uint a = ihv[0], b = ihv[1], c = ihv[2], d = ihv[3], e = ihv[4];

        // Five steps per pass: the variables' roles rotate back to where they started.
        for (nint t = 0; t < 20; t += 5)
        {
            e += Rotl(a, 5) + Choose(b, c, d) + K1 + x[t]; b = Rotl(b, 30);
            d += Rotl(e, 5) + Choose(a, b, c) + K1 + x[t + 1]; a = Rotl(a, 30);
            c += Rotl(d, 5) + Choose(e, a, b) + K1 + x[t + 2]; e = Rotl(e, 30);
            b += Rotl(c, 5) + Choose(d, e, a) + K1 + x[t + 3]; d = Rotl(d, 30);
            a += Rotl(b, 5) + Choose(c, d, e) + K1 + x[t + 4]; c = Rotl(c, 30);
        }
        for (nint t = 20; t < 40; t += 5)
        {
            e += Rotl(a, 5) + (b ^ c ^ d) + K2 + x[t]; b = Rotl(b, 30);
            d += Rotl(e, 5) + (a ^ b ^ c) + K2 + x[t + 1]; a = Rotl(a, 30);
            c += Rotl(d, 5) + (e ^ a ^ b) + K2 + x[t + 2]; e = Rotl(e, 30);
            b += Rotl(c, 5) + (d ^ e ^ a) + K2 + x[t + 3]; d = Rotl(d, 30);
            a += Rotl(b, 5) + (c ^ d ^ e) + K2 + x[t + 4]; c = Rotl(c, 30);
        }
        for (nint t = 40; t < 55; t += 5)
        {
            e += Rotl(a, 5) + Majority(b, c, d) + K3 + x[t]; b = Rotl(b, 30);
            d += Rotl(e, 5) + Majority(a, b, c) + K3 + x[t + 1]; a = Rotl(a, 30);
            c += Rotl(d, 5) + Majority(e, a, b) + K3 + x[t + 2]; e = Rotl(e, 30);
            b += Rotl(c, 5) + Majority(d, e, a) + K3 + x[t + 3]; d = Rotl(d, 30);
            a += Rotl(b, 5) + Majority(c, d, e) + K3 + x[t + 4]; c = Rotl(c, 30);
        }
        e += Rotl(a, 5) + Majority(b, c, d) + K3 + x[55]; b = Rotl(b, 30);
        d += Rotl(e, 5) + Majority(a, b, c) + K3 + x[56]; a = Rotl(a, 30);
        c += Rotl(d, 5) + Majority(e, a, b) + K3 + x[57]; e = Rotl(e, 30);
        // Before step 58 the roles a..e are held by c, d, e, a, b.
        before58[0] = c; before58[1] = d; before58[2] = e; before58[3] = a; before58[4] = b;
        b += Rotl(c, 5) + Majority(d, e, a) + K3 + x[58]; d = Rotl(d, 30);
        a += Rotl(b, 5) + Majority(c, d, e) + K3 + x[59]; c = Rotl(c, 30);

        for (nint t = 60; t < 80; t += 5)
        {
            if (t == 65) { before65[0] = a; before65[1] = b; before65[2] = c; before65[3] = d; before65[4] = e; }
            e += Rotl(a, 5) + (b ^ c ^ d) + K4 + x[t]; b = Rotl(b, 30);
            d += Rotl(e, 5) + (a ^ b ^ c) + K4 + x[t + 1]; a = Rotl(a, 30);
            c += Rotl(d, 5) + (e ^ a ^ b) + K4 + x[t + 2]; e = Rotl(e, 30);
            b += Rotl(c, 5) + (d ^ e ^ a) + K4 + x[t + 3]; d = Rotl(d, 30);
            a += Rotl(b, 5) + (c ^ d ^ e) + K4 + x[t + 4]; c = Rotl(c, 30);
        }
        ihv[0] += a; ihv[1] += b; ihv[2] += c; ihv[3] += d; ihv[4] += e;
    }

    /// <summary>
    /// The chaining values a block with expanded message <paramref name="w"/> would need as input
    /// and give as output to pass through <paramref name="state"/> before step <paramref name="step"/>:
    /// SHA-1's steps run backwards from there to step 0, and forwards to step 79.
    /// </summary>
    public static void Recompress(ReadOnlySpan<uint> w, int step, in Sha1State state, out Sha1State input, out Sha1State output)
    {
        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int t = step - 1; t >= 0; t--)
        {
            // Step t made (a, b, c, d, e) from (a', b', c', d', e'): a = f(...), b = a', c = rotl(b', 30), d = c', e = d'.
            uint pa = b, pb = Rotr(c, 30), pc = d, pd = e;
            uint pe = a - Rotl(pa, 5) - Round(t, pb, pc, pd) - Constant(t) - w[t];
            (a, b, c, d, e) = (pa, pb, pc, pd, pe);
        }
        input = default;
        input[0] = a; input[1] = b; input[2] = c; input[3] = d; input[4] = e;

        a = state[0]; b = state[1]; c = state[2]; d = state[3]; e = state[4];
        for (int t = step; t < 80; t++)
        {
            uint next = Rotl(a, 5) + Round(t, b, c, d) + e + Constant(t) + w[t];
            (a, b, c, d, e) = (next, a, Rotl(b, 30), c, d);
        }
        output = default;
        output[0] = input[0] + a; output[1] = input[1] + b; output[2] = input[2] + c; output[3] = input[3] + d; output[4] = input[4] + e;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Expand(byte* block, uint* x)
    {
        for (nint t = 0; t < 16; t++) x[t] = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(block + 4 * t));
        for (nint t = 16; t < 80; t++) x[t] = Rotl(x[t - 3] ^ x[t - 8] ^ x[t - 14] ^ x[t - 16], 1);
    }

    private static uint Round(int t, uint b, uint c, uint d) => t switch
    {
        < 20 => Choose(b, c, d),
        < 40 or >= 60 => b ^ c ^ d,
        _ => Majority(b, c, d),
    };

    private static uint Constant(int t) => t switch { < 20 => K1, < 40 => K2, < 60 => K3, _ => K4 };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Choose(uint b, uint c, uint d) => d ^ (b & (c ^ d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Majority(uint b, uint c, uint d) => (b & c) | (d & (b | c));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Rotl(uint x, int n) => BitOperations.RotateLeft(x, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Rotr(uint x, int n) => BitOperations.RotateRight(x, n);
}
