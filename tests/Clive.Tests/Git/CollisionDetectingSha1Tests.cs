using System.Security.Cryptography;
using Clive.Git;
using Clive.Git.Sha1;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Git;

public class CollisionDetectingSha1Tests
{
    [SkippableTheory]
    [InlineData("shattered-1.pdf")]
    [InlineData("shattered-2.pdf")]
    [InlineData("sha-mbles-1.bin")]
    [InlineData("sha-mbles-2.bin")]
    public void PublishedCollision_IsDetected_AndItsPlainSha1Given(string name)
    {
        var data = CollisionVectors.Read(name);
        var digest = new byte[20];

        Assert.True(CollisionDetectingSha1.HashData(data, digest), $"{name} was not detected");
        Assert.Equal(CollisionVectors.PlainSha1[name], Convert.ToHexStringLower(digest));
    }

    [SkippableFact]
    public void PublishedCollision_IsDetected_WhateverTheChunksItArrivesIn()
    {
        var data = CollisionVectors.Read("shattered-1.pdf");
        var hasher = new CollisionDetectingSha1();
        var random = new Random(16);
        for (int at = 0; at < data.Length;)
        {
            int n = Math.Min(random.Next(1, 200), data.Length - at);
            hasher.Append(data.AsSpan(at, n));
            at += n;
        }
        var digest = new byte[20];

        Assert.True(hasher.Finish(digest));
        Assert.False(hasher.CollisionDetected, "Finish resets the hasher");
    }

    [SkippableFact]
    public void ShatteredPdf_AsAGitBlob_IsNotACollision_AsInGit()
    {
        // git hashes "blob <size>\0" before the content: the header moves the attack blocks off
        // the chaining values they were built for, so upstream git (sha1dc) accepts this blob, and
        // a git object carrying a collision needs a new attack made for it.
        var data = CollisionVectors.Read("shattered-1.pdf");
        using var sandbox = new GitSandbox();
        File.WriteAllBytes(sandbox.PathOf("shattered-1.pdf"), data);

        var id = ObjectId.HashObject(ObjectType.Blob, data);

        Assert.Equal(sandbox.GitOk(".", "hash-object", "--no-filters", "shattered-1.pdf").Stdout.Trim(), id.ToString());
    }

    [Fact]
    public void OrdinaryData_HashesAsSha1_AtEverySizeAroundTheBlockBoundaries()
    {
        var random = new Random(2017);
        var sizes = Enumerable.Range(0, 300)
            .Concat(new[] { 447, 448, 511, 512, 513, 4095, 4096, 4097, 65535, 65536, 65537, 1_000_003 });
        var digest = new byte[20];
        foreach (int size in sizes)
        {
            var data = new byte[size];
            random.NextBytes(data);

            Assert.False(CollisionDetectingSha1.HashData(data, digest), $"{size} random bytes taken for a collision");
            Assert.True(SHA1.HashData(data).AsSpan().SequenceEqual(digest), $"SHA-1 of {size} random bytes differs");
        }
    }

    [Fact]
    public void OrdinaryData_HashesAsSha1_WhateverTheChunksItArrivesIn()
    {
        var random = new Random(2013);
        var hasher = new CollisionDetectingSha1();
        var digest = new byte[20];
        for (int round = 0; round < 200; round++)
        {
            var data = new byte[random.Next(0, 3000)];
            random.NextBytes(data);
            for (int at = 0; at < data.Length;)
            {
                int n = Math.Min(random.Next(0, 130), data.Length - at);
                hasher.Append(data.AsSpan(at, n));
                at += n;
            }

            Assert.False(hasher.Finish(digest));
            Assert.True(SHA1.HashData(data).AsSpan().SequenceEqual(digest), $"round {round}: SHA-1 of {data.Length} bytes differs");
        }
    }

    [Fact]
    public void StructuredData_IsNotTakenForACollision()
    {
        // Zeros, ones and repeated patterns satisfy far more bit conditions than random data does.
        var digest = new byte[20];
        foreach (byte fill in new byte[] { 0x00, 0xff, 0x55, 0xaa, 0x80, 0x01 })
        {
            var data = Enumerable.Repeat(fill, 10_000).ToArray();
            Assert.False(CollisionDetectingSha1.HashData(data, digest), $"10000 bytes of {fill:x2} taken for a collision");
            Assert.True(SHA1.HashData(data).AsSpan().SequenceEqual(digest));
        }
        var text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> 0 +0000\n", 500)));
        Assert.False(CollisionDetectingSha1.HashData(text, digest));
    }

    [Fact]
    public void DisturbanceVectors_DerivedFromTheirDefinitions_MatchThePublishedDifferences()
    {
        // Spot checks against the message differences tabled with the paper (sha1collisiondetection's ubc_check.c).
        var byName = DisturbanceVectors.All.ToDictionary(v => (v.Type, v.K, v.B));
        Assert.Equal(32, byName.Count);
        Assert.Equal(0x08000000u, byName[(1, 43, 0)].MessageDifference[0]);
        Assert.Equal(0x9800000cu, byName[(1, 43, 0)].MessageDifference[1]);
        Assert.Equal(0xb0000040u, byName[(1, 46, 2)].MessageDifference[0]);
        Assert.Equal(0xec000014u, byName[(2, 45, 0)].MessageDifference[0]);
        Assert.Equal(0x90000070u, byName[(2, 46, 2)].MessageDifference[0]);
        Assert.Equal(0xcc000014u, byName[(2, 53, 0)].MessageDifference[0]);
        Assert.Equal(58, byName[(1, 49, 2)].TestStep);
        Assert.Equal(65, byName[(2, 50, 0)].TestStep);
    }
}
