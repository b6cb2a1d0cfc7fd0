using Clive.Core.Store.Engines;
using Clive.Engine.Graph;
using Clive.Engine.Sandboxing;
using Clive.Remote;
using Clive.Store.Repos;

namespace Clive.Engine.Remote;

/// <summary>
/// An engine a model wants on another host (<c>Engines.On</c>), checked: the declaration came out
/// of the model host, which runs code anyone with <c>run</c> pushed, and every field ends up on an
/// ssh command line. <see cref="Repo"/> null: the declaring model's repo.
/// </summary>
public sealed record WantedEngine(SshDestination Destination, string? Repo, IReadOnlyList<string> Labels, int? Jobs)
{
    public const int MaxJobs = 1024, MaxLabels = 32, MaxPerModel = 64;

    /// <summary>The declarations of a model, each once; throws <see cref="ModelException"/> naming file and line for a bad one.</summary>
    public static IReadOnlyList<WantedEngine> Check(IReadOnlyList<DeclaredEngine> declared)
    {
        if (declared.Count > MaxPerModel) throw new ModelException($"the model declares {declared.Count} remote engines; at most {MaxPerModel}");
        var wanted = new List<WantedEngine>();
        foreach (var d in declared)
        {
            try
            {
                var destination = SshDestination.Parse(d.Destination);
                var repo = d.Repo is null ? null : RepoName.Normalize(d.Repo);
                if (d.Labels.Count > MaxLabels) throw new UsageException($"at most {MaxLabels} labels");
                var labels = d.Labels.Select(EngineLabels.Check).Distinct().ToList();
                if (d.Jobs is { } jobs && jobs is < 1 or > MaxJobs) throw new UsageException($"jobs must be from 1 to {MaxJobs}");
                var engine = new WantedEngine(destination, repo, labels, d.Jobs);
                if (!wanted.Any(w => w.Destination == destination && w.Repo == repo)) wanted.Add(engine);
                else throw new UsageException($"an engine on {destination.Text} for {repo ?? "this repo"} is declared twice");
            }
            catch (CliveException e)
            {
                throw new ModelException($"{Printable.Of(d.DeclaredIn, 200)}({d.Line}): Engines.On: {e.Message}");
            }
        }
        return wanted;
    }
}
