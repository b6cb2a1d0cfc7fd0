using System.Security.Cryptography;
using Clive.Reapi;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Reapi;

/// <summary>Large blobs go through ByteStream both ways, against Bazel's reference worker.</summary>
public sealed class ByteStreamTests
{
    [SkippableFact]
    public async Task AHundredMegabyteBlob_IsWrittenInChunksAndReadBackVerified()
    {
        using var worker = new ReapiWorker();
        using var client = new ReapiClient(ReapiEndpoint.Parse(worker.Endpoint));
        var content = new byte[100 << 20];
        new Random(15).NextBytes(content);
        var digest = Digests.Of(content);
        Assert.True(digest.SizeBytes > ReapiClient.BatchLimit);
        Assert.Equal([digest], await client.FindMissingAsync([digest], "test", CancellationToken.None));

        await client.UploadAsync([digest], _ => content, "test", CancellationToken.None);

        Assert.Empty(await client.FindMissingAsync([digest], "test", CancellationToken.None));
        var read = await client.ReadAsync(digest, "test", CancellationToken.None);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(read));
    }

    [SkippableFact]
    public async Task AFarmThatIsNotThere_FailsNamingTheEndpointAndTheStatus()
    {
        using var worker = new ReapiWorker();
        worker.Kill();
        using var client = new ReapiClient(ReapiEndpoint.Parse(worker.Endpoint));
        var e = await Assert.ThrowsAsync<ReapiException>(() => client.FindMissingAsync([Digests.Of([1])], "test", CancellationToken.None));
        Assert.StartsWith($"REAPI {worker.Endpoint}: FindMissingBlobs: Unavailable", e.Message);
        Assert.True(e.Transient);
    }
}
