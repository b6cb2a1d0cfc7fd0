using System.Numerics;

namespace Clive.Git.Sha1;

/// <summary>
/// The 32 disturbance vectors that every published SHA-1 collision attack and its known
/// variants are built on, as listed by Stevens and Shumow ("Speeding up detection of SHA-1
/// collision attacks using unavoidable attack conditions", USENIX Security 2017), in Manuel's
/// classification ("Classification and generation of disturbance vectors for collision attacks
/// against SHA-1", DCC 2011): I(K,b) and II(K,b). Only the names are data; each vector's
/// expanded message difference is derived here from its definition.
/// </summary>
internal static class DisturbanceVectors
{
    /// <summary>One vector: <see cref="MessageDifference"/> is XORed onto an expanded block to get its partner block.</summary>
    internal sealed record Vector(int Type, int K, int B, int TestStep, uint[] MessageDifference);

    // (type, K, b) in the order of the bits of UnavoidableConditions' mask.
    private static readonly (int Type, int K, int B)[] Names =
    [
        (1, 43, 0), (1, 44, 0), (1, 45, 0), (1, 46, 0), (1, 46, 2), (1, 47, 0), (1, 47, 2), (1, 48, 0),
        (1, 48, 2), (1, 49, 0), (1, 49, 2), (1, 50, 0), (1, 50, 2), (1, 51, 0), (1, 51, 2), (1, 52, 0),
        (2, 45, 0), (2, 46, 0), (2, 46, 2), (2, 47, 0), (2, 48, 0), (2, 49, 0), (2, 49, 2), (2, 50, 0),
        (2, 50, 2), (2, 51, 0), (2, 51, 2), (2, 52, 0), (2, 53, 0), (2, 54, 0), (2, 55, 0), (2, 56, 0),
    ];

    /// <summary>The vectors, indexed by their bit in the unavoidable-conditions mask.</summary>
    public static readonly Vector[] All = Names.Select(n => Derive(n.Type, n.K, n.B)).ToArray();

    /// <summary>The steps before which <see cref="Sha1Block"/> must keep the state: every vector's test step.</summary>
    public const int EarlyTestStep = 58, LateTestStep = 65;

    private static Vector Derive(int type, int k, int b)
    {
        // A disturbance vector is a sequence X[t] obeying SHA-1's message expansion, fixed by
        // 16 consecutive words: X[K..K+15] are zero but for X[K+15] = 2^b (type I), and also
        // X[K+1] = X[K+3] = 2^(b-1 mod 32) (type II). Steps -5..-1 are needed below.
        const int offset = 5;
        var x = new uint[80 + offset];
        x[k + 15 + offset] = 1u << b;
        if (type == 2) x[k + 1 + offset] = x[k + 3 + offset] = BitOperations.RotateLeft(1u << b, 31);
        for (int t = k + 16; t < 80; t++)
            x[t + offset] = BitOperations.RotateLeft(x[t - 3 + offset] ^ x[t - 8 + offset] ^ x[t - 14 + offset] ^ x[t - 16 + offset], 1);
        for (int t = k - 1; t >= -offset; t--)
            x[t + offset] = BitOperations.RotateRight(x[t + 16 + offset], 1) ^ x[t + 13 + offset] ^ x[t + 8 + offset] ^ x[t + 2 + offset];

        // Each disturbance at step t starts a local collision: the corrections that cancel it
        // sit at steps t+1 (rotated by 5), t+2, and t+3..t+5 (rotated by 30).
        var difference = new uint[80];
        for (int t = 0; t < 80; t++)
        {
            uint Dv(int s) => x[s + offset];
            difference[t] = Dv(t) ^ BitOperations.RotateLeft(Dv(t - 1), 5) ^ Dv(t - 2)
                ^ BitOperations.RotateLeft(Dv(t - 3) ^ Dv(t - 4) ^ Dv(t - 5), 30);
        }
        // Past the last disturbance the state difference is zero at the test step: the partner
        // block can be recomputed from the state there, backwards and forwards.
        int testStep = k <= 49 ? EarlyTestStep : LateTestStep;
        return new Vector(type, k, b, testStep, difference);
    }
}
