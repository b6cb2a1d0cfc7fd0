using Clive.Reapi;
using Xunit;

namespace Clive.Tests.Reapi;

/// <summary>Farm endpoints, instance names and headers from the command line: hostile text gets a usage error.</summary>
public sealed class ReapiEndpointTests
{
    [Fact]
    public void AnEndpoint_IsGrpcOrGrpcsWithAPort()
    {
        var plain = ReapiEndpoint.Parse("grpc://127.0.0.1:8980", "main", ["Authorization=Bearer t"]);
        Assert.Equal(new Uri("http://127.0.0.1:8980"), plain.Address);
        Assert.Equal("grpc://127.0.0.1:8980", plain.Name);
        Assert.Equal([new KeyValuePair<string, string>("authorization", "Bearer t")], plain.Headers);
        Assert.Equal(new Uri("https://farm.example:443"), ReapiEndpoint.Parse("grpcs://farm.example:443").Address);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8980")]
    [InlineData("grpc://127.0.0.1")]
    [InlineData("grpc://user@127.0.0.1:1")]
    [InlineData("grpc://127.0.0.1:1/path")]
    [InlineData("127.0.0.1:8980")]
    public void NotAnEndpoint_IsAUsageError(string endpoint)
        => Assert.Throws<UsageException>(() => ReapiEndpoint.Parse(endpoint));

    [Theory]
    [InlineData("a/../b")]
    [InlineData("a//b")]
    [InlineData("x/blobs/y")]
    [InlineData("/a")]
    [InlineData("a\nb")]
    public void AnInstanceThatCouldNameAnotherResource_IsRefused(string instance)
        => Assert.Throws<UsageException>(() => ReapiEndpoint.Parse("grpc://h:1", instance));

    [Theory]
    [InlineData("novalue")]
    [InlineData("=v")]
    [InlineData("x-bin=v")]
    [InlineData("a b=v")]
    [InlineData("a=line\nbreak")]
    public void AHeaderThatIsNotNameEqualsPrintableValue_IsRefused(string header)
        => Assert.Throws<UsageException>(() => ReapiEndpoint.Parse("grpc://h:1", "", [header]));
}
