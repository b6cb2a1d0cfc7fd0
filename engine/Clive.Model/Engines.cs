using System.Runtime.CompilerServices;

namespace Clive.Model;

/// <summary>
/// Declares engines on other hosts that this model wants running. The engine that evaluates the
/// model starts each over SSH (the `engine-up` verb of <c>clive serve</c> there, with the rights of
/// the key its ssh logs in with) and stops it once no version of the model declares it any more.
/// </summary>
public static class Engines
{
    /// <summary>
    /// An engine at <paramref name="destination"/> (<c>[user@]host[:port]</c> or an ssh_config alias,
    /// as in a clive URL) running the models of <paramref name="repo"/> in that host's store (default:
    /// a repo named as this model's), advertising <paramref name="labels"/> besides its os-arch.
    /// </summary>
    public static EngineDeclaration On(string destination, string[]? labels = null, string? repo = null, int? jobs = null,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => new(destination, labels ?? [], repo, jobs, file, line);

    /// <summary>
    /// The same wish as a value, declaring nothing by itself: what a cell that
    /// <see cref="ComputeCell.StartsEngines"/> returns, a list of these.
    /// </summary>
    public static EngineRequest Want(string destination, string[]? labels = null, string? repo = null, int? jobs = null)
        => new(destination, labels ?? [], repo, jobs);
}

/// <summary>An engine a cell wants on another host (<see cref="Engines.Want"/>), stored in the cell's value and checked as a declaration is.</summary>
public sealed record EngineRequest(string Destination, IReadOnlyList<string> Labels, string? Repo, int? Jobs);

/// <summary>A declared remote engine, as data: the engine checks every field before it reaches an ssh command line.</summary>
public sealed class EngineDeclaration
{
    internal EngineDeclaration(string destination, IReadOnlyList<string> labels, string? repo, int? jobs, string file, int line)
    {
        Destination = destination;
        Labels = labels.ToList();
        Repo = repo;
        Jobs = jobs;
        DeclaredIn = file;
        Line = line;
        ModelCollector.Declare(this);
    }

    public string Destination { get; }
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The repo there; null: the declaring model's repo's name.</summary>
    public string? Repo { get; }

    /// <summary>Its job slots; null: as many as that host has cores.</summary>
    public int? Jobs { get; }

    public string DeclaredIn { get; }
    public int Line { get; }

    public override string ToString() => $"{Destination} ({Repo ?? "this repo"})";
}
