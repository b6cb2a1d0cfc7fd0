using Xunit;

namespace Clive.Tests.Fixtures;

/// <summary>
/// The published SHA-1 collisions: SHAttered (shattered-1.pdf, shattered-2.pdf: Stevens, Bursztein,
/// Karpman, Albertini, Markov, 2017; git's t/t0013 uses the first) and SHA-1 is a Shambles
/// (sha-mbles-1.bin, sha-mbles-2.bin: Leurent, Peyrin, 2020). They are third-party files, so they
/// are not in this repository: they are read from <see cref="EnvironmentVariable"/>, or from
/// shared/sha1-collisions beside the checkout (where CI finds shared/). A test that needs them
/// and cannot have them is skipped, saying where to put them.
/// </summary>
public static class CollisionVectors
{
    public const string EnvironmentVariable = "CLIVE_TEST_SHA1_COLLISIONS";

    /// <summary>Both halves of each collision share this plain SHA-1.</summary>
    public static readonly IReadOnlyDictionary<string, string> PlainSha1 = new Dictionary<string, string>
    {
        ["shattered-1.pdf"] = "38762cf7f55934b34d179ae6a4c80cadccbb7f0a",
        ["shattered-2.pdf"] = "38762cf7f55934b34d179ae6a4c80cadccbb7f0a",
        ["sha-mbles-1.bin"] = "8ac60ba76f1999a1ab70223f225aefdc78d4ddc0",
        ["sha-mbles-2.bin"] = "8ac60ba76f1999a1ab70223f225aefdc78d4ddc0",
    };

    public static string Directory { get; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given
            ? given
            : Path.Combine(SourceTree.Root, "..", "shared", "sha1-collisions");

    /// <summary>The file's bytes; skips the calling test when it is not there.</summary>
    public static byte[] Read(string name)
    {
        var path = Path.Combine(Directory, name);
        Skip.IfNot(File.Exists(path), $"no {path}: put the published SHA-1 collision files there (or name their directory in {EnvironmentVariable})");
        return File.ReadAllBytes(path);
    }
}
