using Clive.Core.Store.Engines;
using Clive.Engine.Graph;
using Clive.Engine.Remote;
using Clive.Engine.Values;
using Clive.Git;
using Clive.Model;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// A cell that starts engines (<c>.StartsEngines()</c>) says which in its value: read back from the
/// stored value (so a cached result declares as a fresh one), checked as <c>Engines.On</c> is, a
/// bad value a model error naming the cell's file and line, a failed run no wish at all.
/// </summary>
public sealed class CellStartsEnginesTests
{
    private static readonly CellDefinition Fleet = new(Cells.Compute("fleet", _ => null, "/ops/clive.csx", 7).StartsEngines(), null);

    private static CellResult Result(object? value, string state = CellState.Succeeded)
        => new(new byte[32], Fleet.Name, state, null, value is null ? null : ValueWriter.Write(value, value.GetType()), ObjectId.Zero, 0, 1, DateTimeOffset.UnixEpoch);

    [Fact]
    public void TheValue_ListsTheEnginesWanted_WithLabelsReposAndJobs()
    {
        var wanted = CellWantedEngines.Of(Fleet, Result(new List<EngineRequest>
        {
            Engines.Want("alice@build-host:2222", labels: ["docker"], repo: "team/app", jobs: 4),
            Engines.Want("gpu-box"),
        }))!;

        Assert.Equal(2, wanted.Count);
        Assert.Equal(("alice@build-host:2222", "team/app", 4), (wanted[0].Destination.Text, wanted[0].Repo, wanted[0].Jobs));
        Assert.Equal(["docker"], wanted[0].Labels);
        Assert.Equal(("gpu-box", null, null), (wanted[1].Destination.Text, wanted[1].Repo, wanted[1].Jobs));
        Assert.Equal("ops/fleet", Fleet.Name);
        Assert.Equal("demo@main:ops/fleet", CellWantedEngines.Source("demo@main", Fleet.Name));
        Assert.Equal("demo@main", CellWantedEngines.PipelineOf("demo@main:ops/fleet"));
    }

    [Fact]
    public void AFailedRun_WantsNothingNew() => Assert.Null(CellWantedEngines.Of(Fleet, Result(null, CellState.Failed)));

    [Theory]
    [InlineData("-oProxyCommand=touch /tmp/pwned", "Engines.On: ")]
    [InlineData("host\nInjected", "Engines.On: ")]
    public void AHostileDestination_IsAModelError_AtTheCellsLine(string destination, string says)
    {
        var error = Assert.Throws<ModelException>(() => CellWantedEngines.Of(Fleet, Result(new[] { Engines.Want(destination) })));
        Assert.StartsWith("/ops/clive.csx(7): " + says, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void AValueThatIsNoListOfEngines_IsAModelError_NamingTheCell()
    {
        foreach (var value in new object?[] { "alice@host", new[] { 42 }, new[] { new { Destination = 3 } }, null })
        {
            var error = Assert.Throws<ModelException>(() => CellWantedEngines.Of(Fleet, Result(value)));
            Assert.StartsWith("/ops/clive.csx(7): cell ops/fleet: StartsEngines: ", error.Message);
        }
    }

    [Fact]
    public void TheRecordOfSessions_SurvivesARoundTrip_AndFlattensWhatAnotherHostSaid()
    {
        using var sandbox = new GitSandbox();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        RemoteSessions.Write(sandbox.StoreDirectory, [
            new RemoteSessionRecord("alice@b:22", "demo", true, "fleet-b", ["linux-x64", "b-label"], at, null),
            new RemoteSessionRecord("c", "demo", false, "evil\thost", ["x,y\nz"], at, "refused\n\tforged line"),
        ]);

        var read = RemoteSessions.Read(sandbox.StoreDirectory);

        Assert.Equal(2, read.Count);
        Assert.Equal(("alice@b:22", "demo", true, "fleet-b", at), (read[0].Destination, read[0].Repo, read[0].Reachable, read[0].Host, read[0].At));
        Assert.Equal(["linux-x64", "b-label"], read[0].Labels);
        Assert.Equal(("evil host", "refused  forged line"), (read[1].Host, read[1].Message));
        Assert.Equal(["x y z"], read[1].Labels);
    }
}
