using System.Text;
using Clive.Access;
using Clive.Claims;
using Clive.Git;
using Clive.Packs;
using Clive.Store;
using Clive.Core.Store.Engines;
using Clive.Store.Refs;
using Clive.Store.Repos;
using Clive.Transfer;

namespace Clive.Dispatch;

/// <summary>
/// This host's side of an engine session (<c>clive serve engine-session &lt;repo&gt;</c>): another
/// engine hands it jobs over one long-lived SSH channel. A job's objects are ingested as a push's
/// are (the pack verified, deltas only against what the identity may read), the job commit is put
/// under its ref for this store's engine to run, and the result goes back with a claim signed by
/// this store's host key. The identity needs the <c>run</c> right on the repo, checked at hello and
/// again for every job (a revoke takes effect on the next job, not the next connection).
/// </summary>
public sealed class EngineSessionServer(Principal principal, string? storeDirectory, Stream input, Stream output)
{
    /// <summary>How often a waiting job says it is alive, so the dispatcher can tell a slow cell from a dead link.</summary>
    public static TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("CLIVE_DISPATCH_HEARTBEAT_MS"), out var ms) && ms > 0 ? ms / 1000.0 : 2);

    public int Run(string repoName)
    {
        var repo = RepoName.Normalize(repoName);
        using var store = CliveStore.Open(storeDirectory, create: false);
        try
        {
            while (DispatchChannel.Read<DispatchRequest>(input) is { } request)
            {
                store.Access.DemandAny(principal, Right.Run, repo);
                switch (request.Kind)
                {
                    case DispatchRequest.Hello:
                        Hello(store, repo);
                        break;
                    case DispatchRequest.Job:
                        Job(store, repo, request);
                        break;
                    default:
                        throw new ProtocolException($"unexpected '{Printable.Of(request.Kind)}' in an engine session");
                }
            }
            return 0;
        }
        catch (CliveException e)
        {
            // One line for the dispatcher to log; the session ends (the next job opens a new one).
            DispatchChannel.Write(output, new DispatchReply { Kind = DispatchReply.Error, Message = e.Message });
            return 1;
        }
    }

    private void Hello(CliveStore store, string repo)
    {
        if (store.Repos.TryGetId(repo) is null) throw new RepoNotFoundException(repo);
        var engines = EngineRegistry.List(store).Where(e => e.Running && (e.Advert.AllRepos || e.Advert.Repos.Contains(repo))).ToList();
        if (engines.Count == 0) throw new CliveException($"no engine runs the cells of '{repo}' on {EngineRegistry.LocalName} (start one there: clive up --repo {repo})");
        DispatchChannel.Write(output, new DispatchReply
        {
            Kind = DispatchReply.Hello,
            Labels = engines.SelectMany(e => e.Advert.Labels).Distinct().ToList(),
            Host = EngineRegistry.LocalName,
        });
    }

    private void Job(CliveStore store, string repo, DispatchRequest request)
    {
        var cell = request.Cell ?? throw new ProtocolException("a job without a cell");
        var key = request.Key ?? throw new ProtocolException("a job without a key");
        if (key.Length is < 16 or > 128 || !key.All(char.IsAsciiHexDigitLower)) throw new ProtocolException("a job's key is not lower-case hex");
        if (cell.Length is 0 or > 1024 || cell.Any(char.IsControl)) throw new ProtocolException("a job's cell name is empty, too long or holds a control character");
        if (request.Commit is not { Length: ObjectId.ByteLength } raw) throw new ProtocolException("a job without a commit id");
        var job = new ObjectId(raw);
        long repoId = store.Repos.TryGetId(repo) ?? throw new RepoNotFoundException(repo);

        if (store.Refs.Get(repoId, JobRefs.Result(job)) is not { } known)
        {
            if (!request.Run)
            {
                DispatchChannel.Write(output, new DispatchReply { Kind = DispatchReply.None });
                return;
            }
            Submit(store, repo, repoId, job, request);
            known = WaitForResult(store, repoId, job);
        }
        // Walking, packing and signing a large result takes a while: the dispatcher hears "waiting" meanwhile, not silence.
        var reply = WhileBeating(() => ResultReply(store, repo, cell, key, job, known));
        DispatchChannel.Write(output, reply);
    }

    /// <summary>Asks for the objects this identity cannot already read here, ingests them as a push would, and puts the job under its ref.</summary>
    private void Submit(CliveStore store, string repo, long repoId, ObjectId job, DispatchRequest request)
    {
        var closure = DispatchChannel.Ids(request.Closure, "the job's closure");
        // What the identity may build on is what it could fetch: answering "have" for anything else
        // would tell it what hidden refs hold.
        var readable = ReadableObjects.For(store, repoId, store.Access.ReadableRefs(principal, repo));
        var missing = closure.Distinct().Where(id => !readable.Contains(id)).ToList();
        DispatchChannel.Write(output, new DispatchReply { Kind = DispatchReply.MissingObjects, Missing = DispatchChannel.Raw(missing) });
        var objects = DispatchChannel.Read<DispatchRequest>(input) ?? throw new ProtocolException("the dispatcher closed the session before sending the job's objects");
        if (objects.Kind != DispatchRequest.Objects) throw new ProtocolException($"expected the job's objects, got '{Printable.Of(objects.Kind)}'");
        store.Access.DemandAny(principal, Right.Run, repo);

        IndexedPack? pack = null;
        try
        {
            if (objects.Pack is { Length: > 0 } bytes)
            {
                var indexer = new PackIndexer(readable, null, Path.Combine(store.Directory, "tmp"), StoreLimits.For(store.Directory));
                readable.Hints = () => indexer.Referenced;
                pack = indexer.Index(new MemoryStream(bytes, writable: false));
            }
            if (pack?.Contains(job) != true && !readable.Contains(job)) throw new CliveException($"the job's objects are incomplete: {job} is missing");
            using var transaction = store.BeginRefTransaction(principal.Name, "dispatched job");
            if (pack is not null) transaction.Add(pack);
            if (!store.Objects.TryRead(job, out var type, out _) || type != ObjectType.Commit) throw new CliveException($"the job {job} is not a commit");
            var current = store.Refs.Get(repoId, JobRefs.Job(job)) ?? ObjectId.Zero;
            if (current != job)
            {
                var applied = transaction.Update(repo, [new RefUpdate(JobRefs.Job(job), current, job)], atomic: true);
                if (applied.FirstOrDefault(r => !r.Succeeded) is { } failed) throw new CliveException($"could not file the job: {failed.Message}");
            }
            transaction.Commit();
        }
        finally
        {
            pack?.Dispose();
        }
    }

    /// <summary>Waits on the store's events (not a timer) for this store's engine to file the job's result, saying it is alive meanwhile.</summary>
    private ObjectId WaitForResult(CliveStore store, long repoId, ObjectId job)
    {
        using var follower = store.Events.Follow();
        while (true)
        {
            if (store.Refs.Get(repoId, JobRefs.Result(job)) is { } result) return result;
            follower.Wait(Heartbeat, CancellationToken.None);
            if (store.Refs.Get(repoId, JobRefs.Result(job)) is { } done) return done;
            DispatchChannel.Write(output, new DispatchReply { Kind = DispatchReply.Waiting });
        }
    }

    /// <summary>Runs <paramref name="work"/> while another thread says "waiting" every <see cref="Heartbeat"/>.</summary>
    private T WhileBeating<T>(Func<T> work)
    {
        using var done = new ManualResetEventSlim();
        var beat = new Thread(() =>
        {
            try
            {
                while (!done.Wait(Heartbeat)) DispatchChannel.Write(output, new DispatchReply { Kind = DispatchReply.Waiting });
            }
            catch (IOException)
            {
                // The dispatcher went away; the result's own write says so.
            }
        }) { IsBackground = true };
        beat.Start();
        try
        {
            return work();
        }
        finally
        {
            done.Set();
            beat.Join();
        }
    }

    /// <summary>The result with this host's signed claim about it, and the objects of it the job's closure does not hold.</summary>
    private static DispatchReply ResultReply(CliveStore store, string repo, string cell, string key, ObjectId job, ObjectId result)
    {
        var tree = CommitParser.Parse(store.Objects.Read(result, ObjectType.Commit)).Tree;
        ObjectId? outputTree = null, value = null;
        foreach (var entry in TreeParser.Entries(store.Objects.Read(tree, ObjectType.Tree)))
        {
            var name = Encoding.UTF8.GetString(entry.Name.Span);
            if (name == "out" && entry.IsTree) outputTree = entry.Id;
            else if (name == "value.msgpack" && !entry.IsTree) value = entry.Id;
        }
        var claim = new ResultClaim(repo, cell, key, [job], result, outputTree, value, EngineRegistry.LocalName);
        var signed = HostKey.Of(store.Directory).Signer.Sign(claim);
        var walk = new ObjectWalk(store.Objects);
        var held = walk.Run([job], [], null).Objects.ToHashSet();
        var sending = new ObjectWalk(store.Objects).Run([result], [], null).Objects.Where(id => !held.Contains(id)).ToList();
        using var pack = new MemoryStream();
        new PackWriter(store.Objects).Write(pack, sending, null, null);
        return new DispatchReply
        {
            Kind = DispatchReply.Result,
            Claim = claim.CanonicalText(),
            Signature = signed.Signature,
            Pack = pack.ToArray(),
        };
    }
}
