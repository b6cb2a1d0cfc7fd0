using System.Security.Cryptography;
using Build.Bazel.Remote.Execution.V2;
using Google.Protobuf;

namespace Clive.Reapi;

/// <summary>SHA-256 digests, the only function the reference worker speaks (and every farm supports).</summary>
public static class Digests
{
    public static Digest Of(ReadOnlySpan<byte> content) => new() { Hash = Convert.ToHexStringLower(SHA256.HashData(content)), SizeBytes = content.Length };

    public static Digest Of(IMessage message) => Of(message.ToByteArray());

    /// <summary>A digest as a dictionary key and in resource names: hash/size.</summary>
    public static string Key(Digest digest) => $"{digest.Hash}/{digest.SizeBytes}";

    /// <summary>Whether a digest from the server is well formed (a hostile server could send anything).</summary>
    public static bool IsValid(Digest? digest) => digest is not null && digest.Hash.Length == 64 && digest.SizeBytes >= 0
        && digest.Hash.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
