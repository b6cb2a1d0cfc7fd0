using System.Text;
using Clive.Access;
using Clive.Core.Store.Entities;
using Clive.Git;
using Clive.Transfer;
using Clive.Packs;
using Clive.Store;
using Clive.Store.Maintenance;
using Clive.Store.Refs;
using Clive.Store.Repos;

namespace Clive.Protocol;

/// <summary>
/// The serving side of <c>git push</c> (git's v0 receive-pack protocol; git has no v2 push).
/// The pack is verified completely before anything is written; then the pack, its index and
/// every ref update go into the store in one transaction, each ref compared-and-swapped against
/// the value the client saw. Only after that commit does the client hear "ok".
/// </summary>
public sealed class ReceivePackServer(CliveStore store, string repo, Stream input, Stream output, Principal principal)
{
    private const string Capabilities = "report-status delete-refs side-band-64k quiet atomic ofs-delta push-options object-format=sha1 agent=clive/0.1";
    private readonly PktLineReader _reader = new(input);
    private readonly PktLineWriter _writer = new(output);

    public void Run()
    {
        repo = RepoName.Normalize(repo);
        // Refuse before the client sends a pack it has no right to push anywhere.
        store.Access.DemandAny(principal, Right.Write, repo);
        Advertise();
        var (updates, capabilities) = ReadCommands();
        if (updates.Count == 0) return;
        if (capabilities.Contains("push-options")) _reader.ReadSection(out _);

        bool sideband = capabilities.Contains("side-band-64k");
        bool quiet = capabilities.Contains("quiet");
        bool atomic = capabilities.Contains("atomic");
        var band = new SidebandStream(_writer, progressEnabled: sideband && !quiet);

        IReadOnlyList<RefUpdateResult> results;
        string unpackStatus = "ok";
        IndexedPack? pack = null;
        // From here to the commit no gc sweep runs: what this push reads as there stays there.
        using var gcGate = GcGate.Push(store.Directory);
        try
        {
            // What this pusher may build on: the objects the refs it may read reach in THIS repo.
            // The store has more (other repos, hidden branches), but a push that names, refers to
            // or deltas against those would hand them to the pusher (git: "missing necessary objects").
            var readable = ReadableObjects.For(store, store.Repos.TryGetId(repo), store.Access.ReadableRefs(principal, repo));
            if (updates.Any(u => !u.New.IsZero))
            {
                // The pack is spooled to a private directory in the store (same file system, same
                // owner), and checked against the store's limits as it arrives.
                var indexer = new PackIndexer(readable, band.Progress, Path.Combine(store.Directory, "tmp"), StoreLimits.For(store.Directory));
                readable.Hints = () => indexer.Referenced;
                pack = indexer.Index(input);
            }
            results = Commit(updates, pack, readable, atomic);
            Trace.Write($"push: readable objects checked: {readable.Cost}");
        }
        catch (CliveException e)
        {
            unpackStatus = e.Message;
            results = updates.Select(u => new RefUpdateResult(u, RefUpdateStatus.Invalid, "unpacker error")).ToList();
        }
        finally
        {
            pack?.Dispose();
        }
        Report(unpackStatus, results, sideband ? band : null);
    }

    private void Advertise()
    {
        var readable = store.Access.ReadableRefs(principal, repo);
        var refs = store.Repos.TryGetId(repo) is { } id
            ? store.Refs.List(id).Where(r => r.Target is not null && readable(r.Name)).ToList()
            : [];
        if (refs.Count == 0)
        {
            _writer.Write(Encoding.UTF8.GetBytes($"{ObjectId.Zero} capabilities^{{}}\0{Capabilities}\n"));
        }
        for (int i = 0; i < refs.Count; i++)
        {
            var line = $"{refs[i].Target} {refs[i].Name}" + (i == 0 ? "\0" + Capabilities : "") + "\n";
            _writer.Write(Encoding.UTF8.GetBytes(line));
        }
        _writer.Flush();
        output.Flush();
    }

    private (List<RefUpdate> Updates, HashSet<string> Capabilities) ReadCommands()
    {
        var updates = new List<RefUpdate>();
        var capabilities = new HashSet<string>();
        while (true)
        {
            var pkt = _reader.Read();
            if (pkt.Kind is PktKind.Flush or PktKind.EndOfStream) break;
            if (!pkt.IsData) throw new ProtocolException("unexpected packet in push commands");
            var line = pkt.Text;
            int nul = line.IndexOf('\0');
            if (nul >= 0)
            {
                capabilities.UnionWith(line[(nul + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                line = line[..nul];
            }
            // A shallow client names its shallow commits; we keep complete history, so they need nothing.
            if (line.StartsWith("shallow ", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            if (parts.Length != 3 || !ObjectId.TryParse(parts[0], out var old) || !ObjectId.TryParse(parts[1], out var @new))
                throw new ProtocolException($"malformed push command '{line}'");
            updates.Add(new RefUpdate(parts[2], old, @new));
        }
        return (updates, capabilities);
    }

    private IReadOnlyList<RefUpdateResult> Commit(List<RefUpdate> updates, IndexedPack? pack, ReadableObjects readable, bool atomic)
    {
        // Every new tip must be in the pack or readable here: a ref never points at a missing
        // closure, nor at an object this pusher could not fetch (the indexer held the pack's own
        // references to the same rule, so the tip's whole closure is then readable or pushed).
        var missing = updates.Where(u => !u.New.IsZero && pack?.Contains(u.New) != true && !readable.Contains(u.New)).ToHashSet();

        using var transaction = store.BeginRefTransaction(principal.Name, "push");
        long repoId = store.Repos.TryGetId(repo) ?? transaction.CreateRepo(repo, InitialHead(updates));
        if (pack is not null) transaction.Add(pack);
        var invalid = new Dictionary<RefUpdate, string>();
        // Entity versions must be values; a diverged one is kept beside the entity (EntityPush), not refused.
        foreach (var u in updates.Where(u => !missing.Contains(u)))
            if (EntityPush.Problem(store, repo, u) is { } problem) invalid[u] = problem;
        var diverted = updates.Where(u => !missing.Contains(u) && !invalid.ContainsKey(u))
            .Select(u => (Update: u, Diversion: EntityPush.Divert(store, repo, repoId, u))).Where(d => d.Diversion is not null)
            .ToDictionary(d => d.Update, d => d.Diversion!);
        foreach (var (u, d) in diverted.Where(d => d.Value.Refusal is not null).ToList())
        {
            invalid[u] = d.Refusal!;
            diverted.Remove(u);
        }
        // Rights are checked here, with the pack's objects readable, because telling a
        // fast-forward from a rewrite needs the new commits.
        var denied = updates.Where(u => !missing.Contains(u) && !invalid.ContainsKey(u))
            .Select(u => (Update: u, Denial: Denial(repoId, u, diverted.ContainsKey(u)))).Where(d => d.Denial is not null)
            .ToDictionary(d => d.Update, d => d.Denial!);
        var valid = updates.Where(u => !missing.Contains(u) && !invalid.ContainsKey(u) && !denied.ContainsKey(u)).ToList();
        bool AlreadyThere(RefUpdate u) => diverted.TryGetValue(u, out var d) && d.Instead is null;
        var toApply = valid.Where(u => !AlreadyThere(u)).Select(u => diverted.TryGetValue(u, out var d) ? d.Instead! : u).ToList();
        var applied = transaction.Update(repo, toApply, atomic && valid.Count == updates.Count);
        // Apply answers in the order asked, so the i-th update applied has the i-th result; a
        // diverted one is answered as the ref the client named.
        var appliedResults = new Queue<RefUpdateResult>(applied);
        var results = updates.Select(u => missing.Contains(u) ? new RefUpdateResult(u, RefUpdateStatus.Invalid, "missing necessary objects")
                : invalid.TryGetValue(u, out var bad) ? new RefUpdateResult(u, RefUpdateStatus.Invalid, bad)
                : denied.TryGetValue(u, out var why) ? new RefUpdateResult(u, RefUpdateStatus.Denied, why)
                : AlreadyThere(u) ? new RefUpdateResult(u, RefUpdateStatus.Ok)
                : appliedResults.Dequeue() with { Update = u })
            .ToList();
        if (atomic && results.Any(r => !r.Succeeded))
            results = results.Select(r => r.Succeeded ? r with { Status = RefUpdateStatus.AtomicFailed, Message = "atomic push failed" } : r).ToList();
        // Nothing accepted: leave the store exactly as it was (no orphan pack, no empty repo).
        if (results.Any(r => r.Succeeded)) transaction.Commit();
        return results;
    }

    /// <summary>
    /// Why this principal may not make this update, or null: creating and fast-forwarding need write,
    /// rewriting and deleting need force. A diverged entity version is kept, not written over the entity: write.
    /// </summary>
    private string? Denial(long repoId, RefUpdate update, bool diverted)
    {
        if (principal.IsOwner) return null;
        var needed = update.New.IsZero ? Right.Force
            : diverted || update.Old.IsZero || Ancestry.IsAncestor(store.Objects, update.Old, update.New) ? Right.Write
            : Right.Force;
        return store.Access.Has(principal, needed, repo, update.Name)
            ? null
            : $"permission denied: '{principal}' lacks the '{needed.Name()}' right on {repo}:{update.Name}";
    }

    /// <summary>A repo created by a push gets the conventional branch as HEAD if pushed, else the first branch.</summary>
    private static string InitialHead(List<RefUpdate> updates)
    {
        var branches = updates.Where(u => !u.New.IsZero && u.Name.StartsWith("refs/heads/", StringComparison.Ordinal)).Select(u => u.Name).ToList();
        return branches.FirstOrDefault(b => b is "refs/heads/main" or "refs/heads/master")
            ?? branches.FirstOrDefault()
            ?? RepoCatalog.DefaultBranch;
    }

    private void Report(string unpackStatus, IReadOnlyList<RefUpdateResult> results, SidebandStream? sideband)
    {
        var report = new MemoryStream();
        var inner = new PktLineWriter(report);
        inner.WriteLine("unpack " + unpackStatus);
        foreach (var r in results)
            inner.WriteLine(r.Succeeded ? $"ok {r.Update.Name}" : $"ng {r.Update.Name} {r.Message}");
        inner.Flush();
        if (sideband is not null)
        {
            sideband.Write(report.ToArray());
            sideband.Flush();
            _writer.Flush();
        }
        else
        {
            output.Write(report.ToArray());
        }
        output.Flush();
    }
}
