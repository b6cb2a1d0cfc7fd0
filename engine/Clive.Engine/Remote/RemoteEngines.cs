using Clive.Remote;

namespace Clive.Engine.Remote;

/// <summary>
/// An engine on another host that this engine may hand cells to: reached over SSH at
/// <see cref="Destination"/> (through <c>clive serve</c> there, with the rights of the key this
/// engine's ssh uses), running the cells of <see cref="Repo"/> there, advertising <see cref="Labels"/>.
/// </summary>
public sealed record RemoteEngine(SshDestination Destination, string Repo, IReadOnlyList<string> Labels)
{
    // By value, labels included: each reconcile declares fresh lists, and the same engine must stay
    // the same key (its open session, whether it changed at all).
    public bool Equals(RemoteEngine? other)
        => other is not null && Destination == other.Destination && Repo == other.Repo && Labels.SequenceEqual(other.Labels);

    public override int GetHashCode() => HashCode.Combine(Destination, Repo, Labels.Count);
}

/// <summary>
/// The remote engines this engine knows, by who declared them: a model's <c>Engines.On</c>
/// declarations, or the owner's command line. A source's declarations replace its earlier ones
/// whole, so an engine a model no longer declares is gone from here at once.
/// </summary>
public sealed class RemoteEngines
{
    private readonly object _gate = new();
    private readonly Dictionary<string, IReadOnlyList<RemoteEngine>> _bySource = new(StringComparer.Ordinal);

    /// <summary>Raised (outside the lock) after a source's declarations changed; not when they were declared again as they were.</summary>
    public event Action? Changed;

    /// <summary>Replaces what <paramref name="source"/> (a model's ref, "command line") declares; an empty list forgets it.</summary>
    public void Declare(string source, IReadOnlyList<RemoteEngine> engines)
    {
        lock (_gate)
        {
            var before = _bySource.GetValueOrDefault(source) ?? [];
            if (before.SequenceEqual(engines)) return;
            if (engines.Count == 0) _bySource.Remove(source);
            else _bySource[source] = engines;
        }
        Changed?.Invoke();
    }

    /// <summary>Every engine declared by any source, each once.</summary>
    public IReadOnlyList<RemoteEngine> All
    {
        get
        {
            lock (_gate) return _bySource.Values.SelectMany(e => e).Distinct().ToList();
        }
    }
}
