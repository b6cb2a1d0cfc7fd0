using Clive.Core.Store.Engines;
using Clive.Engine.Graph;
using Clive.Engine.Remote;
using Clive.Engine.Sandboxing;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// A model's <c>Engines.On</c> declarations come out of the model host, which runs code anyone with
/// run pushed: each field is checked before it can reach an ssh command line, and a bad one is a
/// model error naming its file and line.
/// </summary>
public sealed class EngineDeclarationTests
{
    private static DeclaredEngine Declared(string destination, string[]? labels = null, string? repo = null, int? jobs = null)
        => new() { Destination = destination, Labels = [.. labels ?? []], Repo = repo, Jobs = jobs, DeclaredIn = "/clive.csx", Line = 3 };

    [Fact]
    public void WellFormedDeclarations_AreKept_WithTheirPortsLabelsAndRepos()
    {
        var wanted = WantedEngine.Check([Declared("alice@build-host:2222", ["docker", "big-memory"], "team/app.git", 8), Declared("build-alias")]);

        Assert.Equal(2, wanted.Count);
        Assert.Equal("alice@build-host", wanted[0].Destination.Host);
        Assert.Equal(2222, wanted[0].Destination.Port);
        Assert.Equal("alice@build-host:2222", wanted[0].Destination.Text);
        Assert.Equal("team/app", wanted[0].Repo);
        Assert.Equal(["docker", "big-memory"], wanted[0].Labels);
        Assert.Equal(8, wanted[0].Jobs);
        Assert.Null(wanted[1].Repo);
    }

    [Theory]
    [InlineData("-oProxyCommand=touch /tmp/pwned", null, null, 0)]
    [InlineData("host with space", null, null, 0)]
    [InlineData("host\nInjected", null, null, 0)]
    [InlineData("host:99999", null, null, 0)]
    [InlineData("", null, null, 0)]
    [InlineData("host", "a;rm -rf /", null, 0)]
    [InlineData("host", "", null, 0)]
    [InlineData("host", "-x", null, 0)]
    [InlineData("host", null, "../etc", 0)]
    [InlineData("host", null, "de\u0001mo", 0)]
    [InlineData("host", null, null, -1)]
    [InlineData("host", null, null, 100000)]
    public void HostileDeclarations_AreModelErrors_WithFileAndLine(string destination, string? label, string? repo, int jobs)
    {
        var declared = Declared(destination, label is null ? null : [label], repo, jobs == 0 ? null : jobs);
        var error = Assert.Throws<ModelException>(() => WantedEngine.Check([declared]));
        Assert.StartsWith("/clive.csx(3): Engines.On: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void TheSameEngineTwice_TooManyLabels_OrTooManyEngines_AreRefused()
    {
        Assert.Contains("declared twice", Assert.Throws<ModelException>(() => WantedEngine.Check([Declared("h"), Declared("h")])).Message);
        var labels = Enumerable.Range(0, WantedEngine.MaxLabels + 1).Select(i => "l" + i).ToArray();
        Assert.Contains("at most", Assert.Throws<ModelException>(() => WantedEngine.Check([Declared("h", labels)])).Message);
        var many = Enumerable.Range(0, WantedEngine.MaxPerModel + 1).Select(i => Declared("h" + i)).ToList();
        Assert.Contains("at most", Assert.Throws<ModelException>(() => WantedEngine.Check(many)).Message);
    }

    [Fact]
    public void TheRecordOfStartedEngines_SurvivesARoundTrip_AndFlattensWhatAnotherHostSaid()
    {
        using var sandbox = new GitSandbox();
        var records = new[]
        {
            new RemoteEngineRecord("demo@main", "alice@b:22", "demo", ["linux-x64", "docker"], 4, true, RemoteEngineState.Up, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000), "started: an engine"),
            new RemoteEngineRecord("demo@main", "b", "secret", [], null, false, RemoteEngineState.Failed, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_001), "denied\n\tforged line"),
        };
        StartedEngines.Write(sandbox.StoreDirectory, records);

        var read = StartedEngines.Read(sandbox.StoreDirectory);

        Assert.Equal(2, read.Count);
        Assert.Equal(records[0] with { Labels = read[0].Labels }, read[0]);
        Assert.Equal(records[0].Labels, read[0].Labels);
        Assert.Equal("denied  forged line", read[1].Message);
        Assert.Null(read[1].Jobs);
        Assert.False(read[1].StartedHere);
    }
}
