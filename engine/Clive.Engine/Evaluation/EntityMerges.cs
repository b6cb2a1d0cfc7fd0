using System.Collections.Concurrent;
using Clive.Core.Store.Entities;
using Clive.Engine.Execution;
using Clive.Engine.Sandboxing;
using Clive.Git;
using Clive.Transfer;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Settles versions of an entity pushed from another store that diverged from this one's
/// (refs/clive/incoming/entities/&lt;name&gt;): the model's merge function, run in its host, makes a
/// version with both as parents (three-way, from their merge base); without one, or when it reports
/// a conflict, theirs is kept at refs/clive/conflicts/entities/&lt;name&gt; and the entity stays. Nothing is lost.
/// </summary>
internal sealed class EntityMerges(EngineStore store, Action<string> log)
{
    private static readonly CommitIdentity Identity = new($"{EntityWrites.Author} <clive@{Environment.MachineName}>", $"{EntityWrites.Author} <clive@{Environment.MachineName}>");
    private readonly ConcurrentDictionary<(string Repo, string Name), bool> _running = new();

    /// <summary>The model that settles an entity's divergences: its host, and whether it declares a merge function.</summary>
    public sealed record Merger(string Model, ModelHost? Host, bool HasMerge);

    public static string? IncomingName(string refName) => EntityName.FromRef(refName, EntityName.IncomingPrefix);

    /// <summary>Settles the incoming version of <paramref name="name"/> in the background; one at a time per entity, again if another arrived meanwhile.</summary>
    public void Request(string repo, string name, Merger merger)
    {
        if (!_running.TryAdd((repo, name), false))
        {
            _running[(repo, name)] = true;
            return;
        }
        Task.Run(async () =>
        {
            try
            {
                do
                {
                    _running[(repo, name)] = false;
                    try { await SettleAsync(repo, name, merger).ConfigureAwait(false); }
                    catch (Exception e) when (ErrorPolicy.IsUsersProblem(e) || e is HostFailure)
                    {
                        log($"{repo}: entity '{name}': the incoming version was not settled: {e.Message}");
                    }
                } while (_running.TryGetValue((repo, name), out var again) && again);
            }
            finally
            {
                _running.TryRemove((repo, name), out _);
            }
        });
    }

    /// <summary>Every entity of <paramref name="repo"/> with a version waiting: what arrived before the model that merges it was loaded.</summary>
    public IReadOnlyList<string> Pending(string repo) => store.Use(s => s.Store.Entities.Incoming(repo).Select(d => d.Name).ToList());

    private async Task SettleAsync(string repo, string name, Merger merger)
    {
        var versions = store.Use(s =>
        {
            var divergence = s.Store.Entities.Incoming(repo).FirstOrDefault(d => d.Name == name);
            if (divergence is null) return null;
            var ours = divergence.Ours ?? ObjectId.Zero;
            var ancestor = ours.IsZero ? null : Ancestry.MergeBase(s.Store.Objects, ours, divergence.Theirs);
            byte[]? Value(ObjectId? id) => id is { } v && !v.IsZero ? s.Store.Entities.ReadVersion(name, v).MessagePack : null;
            return new { Ours = ours, divergence.Theirs, Ancestor = Value(ancestor), OursValue = Value(ours), TheirsValue = Value(divergence.Theirs)! };
        });
        if (versions is null) return;
        string? conflict;
        byte[]? merged = null;
        if (versions.OursValue is null) merged = versions.TheirsValue; // The entity is new here: theirs is all there is.
        if (merged is not null) conflict = null;
        else if (!merger.HasMerge || merger.Host is null) conflict = $"{merger.Model} declares no merge function for it";
        else
        {
            var reply = await merger.Host.MergeAsync(name, versions.Ancestor, versions.OursValue!, versions.TheirsValue).ConfigureAwait(false);
            merged = reply.Value;
            conflict = reply.Conflict ?? reply.Error ?? (merged is null ? "the merge function gave no value" : null);
        }
        if (conflict is not null || merged is null)
        {
            store.Write(s => s.Store.Entities.KeepAsConflict(repo, name, versions.Theirs, EntityWrites.Author, conflict));
            log($"{repo}: entity '{name}': diverged versions kept side by side (refs/clive/conflicts/entities/{name}): {conflict}");
            return;
        }
        var commit = store.Write(s => s.Store.Entities.ResolveIncoming(repo, name, versions.Ours, versions.Theirs, merged, Identity,
            new EntityMessage($"merge {versions.Theirs.ToString()[..12]} into {name} ({merger.Model})")));
        log($"{repo}: entity '{name}': merged {versions.Ours.ToString()[..12]} and {versions.Theirs.ToString()[..12]} into {commit?.ToString()[..12]}");
    }
}
