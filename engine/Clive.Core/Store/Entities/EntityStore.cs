using System.Text;
using Clive.Core.Values;
using Clive.Git;
using Clive.Packs;
using Clive.Store;
using Clive.Store.Refs;
using Clive.Transfer;

namespace Clive.Core.Store.Entities;

/// <summary>
/// A repo's entities: each a ref refs/clive/entities/&lt;name&gt; whose commits are its versions
/// (tree: value.msgpack and value.json; parents: the previous version, two for a merge). Every
/// write is a compare-and-swap through <see cref="RefTransaction"/>, like any ref change, so it is
/// an event that followers (the engine, watchers, the mount) see.
/// </summary>
public sealed class EntityStore(CliveStore store)
{
    public const string MessagePackFile = "value.msgpack";
    public const string JsonFile = "value.json";

    /// <summary>The entity's current version, or null when the repo has none by that name.</summary>
    public EntityVersion? Read(string repo, string name)
    {
        var id = Head(repo, EntityName.RefOf(name));
        return id is null ? null : ReadVersion(name, id.Value);
    }

    /// <summary>One version by commit id; a commit that is not a version (no value.msgpack, a bad value) is an error naming it.</summary>
    public EntityVersion ReadVersion(string name, ObjectId commit)
    {
        var raw = store.Objects.Read(commit, ObjectType.Commit);
        var info = CommitParser.Parse(raw);
        var msgpackBlob = TreeParser.Entries(store.Objects.Read(info.Tree, ObjectType.Tree))
            .FirstOrDefault(e => !e.IsTree && e.Name.Span.SequenceEqual(Encoding.ASCII.GetBytes(MessagePackFile)));
        if (msgpackBlob.Name.IsEmpty)
            throw new ValueFormatException($"entity '{name}' version {commit.ToString()[..12]} has no {MessagePackFile}");
        if (store.Objects.SizeOf(msgpackBlob.Id) > ValueLimits.MaxBytes)
            throw new ValueFormatException($"entity '{name}' version {commit.ToString()[..12]}: {MessagePackFile} is larger than the limit");
        var msgpack = store.Objects.Read(msgpackBlob.Id, ObjectType.Blob);
        var (author, time, message) = EntityCommit.Read(raw);
        return new EntityVersion(name, commit, info.Parents, msgpack, ValueJson.FromMessagePack(msgpack), author, time, EntityMessage.Parse(message));
    }

    /// <summary>
    /// Writes a new version whose parent is <paramref name="expectedOld"/> (zero: the entity is new),
    /// if the entity is still there. value.json is made from the value here.
    /// </summary>
    /// <param name="who">Who the store's event log names (a key's or user's name); the author by default.</param>
    /// <exception cref="EntityChangedException">The entity is no longer at <paramref name="expectedOld"/>; nothing was written.</exception>
    /// <exception cref="ValueFormatException">The bytes are not a clive value.</exception>
    public ObjectId Write(string repo, string name, byte[] msgpack, ObjectId expectedOld, CommitIdentity author, EntityMessage message, string? who = null)
        => Commit(repo, name, msgpack, expectedOld, expectedOld.IsZero ? [] : [expectedOld], author, message, who ?? author.Author, ("entity " + name, null));

    /// <summary>
    /// New versions of several entities (a cell that maintains them all), in one ref transaction:
    /// every compare-and-swap holds and all are written, or none is.
    /// </summary>
    /// <exception cref="EntityChangedException">One entity is no longer at its expected version (it is named); nothing was written.</exception>
    /// <exception cref="ValueFormatException">A value is not a clive value; nothing was written.</exception>
    public void WriteAll(string repo, IReadOnlyList<EntityChange> changes, CommitIdentity author, string who)
    {
        if (changes.Count == 0) return;
        var pack = new NewObjectsPack();
        var updates = changes.Select(c =>
        {
            try
            {
                return new RefUpdate(EntityName.RefOf(c.Name), c.Expected, Version(pack, c.MessagePack, c.Expected.IsZero ? [] : [c.Expected], author, c.Message));
            }
            catch (ValueFormatException e)
            {
                throw new ValueFormatException($"entity '{c.Name}': {e.Message}");
            }
        }).ToList();
        using var transaction = store.BeginRefTransaction(who, "entity " + string.Join(", ", changes.Select(c => c.Name)));
        transaction.Add(pack);
        Require(repo, transaction.Update(repo, updates, atomic: true), changes[0].Name);
        transaction.Commit();
    }

    /// <summary>Every entity of the repo and its current version, by name.</summary>
    public IReadOnlyList<EntityHead> List(string repo) => Under(repo, EntityName.RefPrefix);

    /// <summary>The entity's versions newest first (by author time, every parent followed), at most <paramref name="limit"/>.</summary>
    public IEnumerable<EntityVersion> Log(string repo, string name, int limit = int.MaxValue)
    {
        var head = Head(repo, EntityName.RefOf(name)) ?? throw new EntityNotFoundException(repo, name);
        var seen = new HashSet<ObjectId> { head };
        var queue = new PriorityQueue<EntityVersion, long>();
        var first = ReadVersion(name, head);
        queue.Enqueue(first, -first.Time.ToUnixTimeSeconds());
        for (var shown = 0; shown < limit && queue.TryDequeue(out var version, out _); shown++)
        {
            yield return version;
            foreach (var parent in version.Parents)
                if (seen.Add(parent) && store.Objects.Contains(parent))
                {
                    var older = ReadVersion(name, parent);
                    queue.Enqueue(older, -older.Time.ToUnixTimeSeconds());
                }
        }
    }

    /// <summary>Versions pushed from another store that diverged from this one's and wait for the engine's merge.</summary>
    public IReadOnlyList<EntityDivergence> Incoming(string repo) => Diverged(repo, EntityName.IncomingPrefix);

    /// <summary>Diverged versions kept side by side with the entity: no merge function, or it reported a conflict.</summary>
    public IReadOnlyList<EntityDivergence> Conflicts(string repo) => Diverged(repo, EntityName.ConflictPrefix);

    /// <summary>The diverged version kept for the entity, if it is in conflict.</summary>
    public ObjectId? Conflict(string repo, string name) => Head(repo, EntityName.ConflictPrefix + EntityName.Check(name));

    /// <summary>
    /// Why the entity's diverged versions are kept side by side: the merge function's own words
    /// when it reported the conflict (kept with the conflict ref's event), else that its type has
    /// no merge function; null when it is not in conflict or nothing says why.
    /// </summary>
    public string? ConflictReason(string repo, string name)
    {
        var conflictRef = EntityName.ConflictPrefix + EntityName.Check(name);
        if (Head(repo, conflictRef) is not { } kept) return null;
        var prefix = ConflictWhy(name, "");
        if (store.Events.LastSetTo(Clive.Store.Repos.RepoName.Normalize(repo), conflictRef, kept)?.Why is { } why
            && why.StartsWith(prefix, StringComparison.Ordinal) && why.Length > prefix.Length)
            return why[prefix.Length..];
        return store.EntityTypes.Find(repo, name)?.HasMerge == true ? null : "its type has no merge function";
    }

    /// <summary>The conflict ref's event: "entity conflict &lt;name&gt;: &lt;reason&gt;", the reason on one printable line of at most 500 characters.</summary>
    private static string ConflictWhy(string name, string? reason)
    {
        if (reason is null) return "entity conflict " + name;
        var line = Printable.Of(reason.ReplaceLineEndings(" "));
        return $"entity conflict {name}: " + (line.Length > 500 ? line[..500] + "…" : line);
    }

    /// <summary>
    /// Settles a pending incoming version. With <paramref name="merged"/> (the merge function's value),
    /// writes a version whose parents are ours and theirs, compared-and-swapped against ours, and
    /// deletes the incoming ref; without, moves theirs to refs/clive/conflicts/entities/&lt;name&gt;.
    /// Both in one transaction, so the incoming version is never lost in between.
    /// </summary>
    /// <returns>The merge commit, or null when theirs was kept as a conflict.</returns>
    /// <exception cref="EntityChangedException">The entity moved since <paramref name="ours"/>; nothing was written.</exception>
    public ObjectId? ResolveIncoming(string repo, string name, ObjectId ours, ObjectId theirs, byte[]? merged, CommitIdentity author, EntityMessage message)
    {
        var incomingRef = EntityName.IncomingPrefix + EntityName.Check(name);
        if (merged is null)
        {
            KeepAsConflict(repo, name, theirs, author.Author);
            return null;
        }
        return Commit(repo, name, merged, ours, ours.IsZero ? [theirs] : [ours, theirs], author, message, author.Author,
            ("entity merge " + name, new RefUpdate(incomingRef, theirs, ObjectId.Zero)));
    }

    /// <summary>
    /// Moves a pending incoming version (or one just received) to the conflict ref. A conflict kept
    /// already is replaced only by a later version of the same line (it is an ancestor of the new
    /// one), never by an unrelated one: that would lose it.
    /// </summary>
    /// <exception cref="EntityConflictPendingException">Another, unrelated version is kept in conflict already; nothing changed.</exception>
    /// <param name="reason">Why (the merge function's report), shown by <see cref="ConflictReason"/>.</param>
    public void KeepAsConflict(string repo, string name, ObjectId theirs, string who, string? reason = null)
    {
        var incomingRef = EntityName.IncomingPrefix + EntityName.Check(name);
        var conflictRef = EntityName.ConflictPrefix + name;
        var kept = Head(repo, conflictRef);
        if (ConflictBlocks(kept, theirs)) throw new EntityConflictPendingException(repo, name, kept!.Value);
        using var transaction = store.BeginRefTransaction(who, ConflictWhy(name, reason));
        var updates = new List<RefUpdate>();
        if (kept is not { } k || !Ancestry.IsAncestor(store.Objects, theirs, k)) updates.Add(new(conflictRef, kept ?? ObjectId.Zero, theirs));
        if (Head(repo, incomingRef) is { } incoming) updates.Add(new RefUpdate(incomingRef, incoming, ObjectId.Zero));
        if (updates.Count == 0) return;
        Require(repo, transaction.Update(repo, updates, atomic: true), name);
        transaction.Commit();
    }

    /// <summary>Whether a version kept in conflict (if any) stands in the way of keeping <paramref name="theirs"/>: neither is the other's ancestor.</summary>
    public bool ConflictBlocks(ObjectId? kept, ObjectId theirs) =>
        kept is { } k && k != theirs && !Ancestry.IsAncestor(store.Objects, k, theirs) && !Ancestry.IsAncestor(store.Objects, theirs, k);

    /// <summary>
    /// A person's new version (<c>clive entity set</c>, a save in the mount). When another store's
    /// version is kept in conflict, the new one is the merge the conflict warning asks for: its
    /// second parent is the kept version, and the conflict ref goes in the same transaction.
    /// </summary>
    public ObjectId WriteSettlingConflict(string repo, string name, byte[] msgpack, ObjectId expectedOld, CommitIdentity author, EntityMessage message, string? who = null)
    {
        if (Conflict(repo, name) is not { } theirs) return Write(repo, name, msgpack, expectedOld, author, message, who);
        return Commit(repo, name, msgpack, expectedOld, expectedOld.IsZero ? [theirs] : [expectedOld, theirs], author, message, who ?? author.Author,
            ("entity resolve " + name, new RefUpdate(EntityName.ConflictPrefix + name, theirs, ObjectId.Zero)));
    }

    /// <summary>
    /// Keeps bytes that were meant as a version and are not one (an editor's save that does not
    /// parse or fit the type), every byte, as a commit at refs/clive/rejected/entities/&lt;name&gt;
    /// (tree: value.json as written; parent: the version it was edited from, when there is one).
    /// </summary>
    /// <returns>The commit that keeps them.</returns>
    public ObjectId KeepRejected(string repo, string name, byte[] bytes, ObjectId edited, CommitIdentity author, string why)
    {
        var refName = EntityName.RejectedPrefix + EntityName.Check(name);
        var pack = new NewObjectsPack();
        var blob = pack.Add(ObjectType.Blob, bytes);
        var tree = pack.Add(ObjectType.Tree, TreeWriter.Serialize([new TreeEntry(TreeEntry.RegularFile, Encoding.ASCII.GetBytes(JsonFile), blob)]));
        var now = DateTimeOffset.Now;
        var commit = pack.Add(ObjectType.Commit, CommitWriter.Serialize(tree, edited.IsZero ? [] : [edited], author.AuthorAt(now), author.CommitterAt(now),
            new EntityMessage("rejected: " + why).Compose()));
        using var transaction = store.BeginRefTransaction(author.Author, "entity rejected " + name);
        transaction.Add(pack);
        Require(repo, transaction.Update(repo, [new RefUpdate(refName, Head(repo, refName) ?? ObjectId.Zero, commit)], atomic: true), name);
        transaction.Commit();
        return commit;
    }

    private ObjectId Commit(string repo, string name, byte[] msgpack, ObjectId expectedOld, IReadOnlyList<ObjectId> parents,
        CommitIdentity author, EntityMessage message, string who, (string Why, RefUpdate? Also) change)
    {
        var refName = EntityName.RefOf(name);
        var pack = new NewObjectsPack();
        var commit = Version(pack, msgpack, parents, author, message);

        using var transaction = store.BeginRefTransaction(who, change.Why);
        transaction.Add(pack);
        List<RefUpdate> updates = [new RefUpdate(refName, expectedOld, commit)];
        if (change.Also is { } also) updates.Add(also);
        Require(repo, transaction.Update(repo, updates, atomic: true), name);
        transaction.Commit();
        return commit;
    }

    /// <summary>A version's objects (value.json, value.msgpack, their tree, the commit) added to <paramref name="pack"/>; returns the commit.</summary>
    private static ObjectId Version(NewObjectsPack pack, byte[] msgpack, IReadOnlyList<ObjectId> parents, CommitIdentity author, EntityMessage message)
    {
        var json = ValueJson.FromMessagePack(msgpack);
        var jsonBlob = pack.Add(ObjectType.Blob, Encoding.UTF8.GetBytes(json));
        var msgpackBlob = pack.Add(ObjectType.Blob, msgpack);
        var tree = pack.Add(ObjectType.Tree, TreeWriter.Serialize([
            new TreeEntry(TreeEntry.RegularFile, Encoding.ASCII.GetBytes(JsonFile), jsonBlob),
            new TreeEntry(TreeEntry.RegularFile, Encoding.ASCII.GetBytes(MessagePackFile), msgpackBlob)]));
        var now = DateTimeOffset.Now;
        return pack.Add(ObjectType.Commit, CommitWriter.Serialize(tree, parents, author.AuthorAt(now), author.CommitterAt(now), message.Compose()));
    }

    private void Require(string repo, IReadOnlyList<RefUpdateResult> results, string name)
    {
        var failed = results.FirstOrDefault(r => r.Status is RefUpdateStatus.Stale or RefUpdateStatus.Invalid);
        if (failed is null) return;
        if (failed.Status == RefUpdateStatus.Invalid) throw new CliveException($"entity '{name}': {failed.Message}");
        throw new EntityChangedException(EntityName.FromRef(failed.Update.Name) ?? name, failed.Update.Old, Head(repo, failed.Update.Name) ?? ObjectId.Zero);
    }

    private List<EntityDivergence> Diverged(string repo, string prefix) =>
        Under(repo, prefix).Select(h => new EntityDivergence(h.Name, Head(repo, EntityName.RefOf(h.Name)), h.Commit)).ToList();

    private List<EntityHead> Under(string repo, string prefix)
    {
        var id = store.Repos.GetId(repo);
        return store.Refs.List(id, prefix)
            .Where(r => r.Target is not null)
            .Select(r => EntityName.FromRef(r.Name, prefix) is { } name ? new EntityHead(name, r.Target!.Value) : null)
            .OfType<EntityHead>()
            .ToList();
    }

    private ObjectId? Head(string repo, string refName) => store.Refs.Get(store.Repos.GetId(repo), refName);
}

/// <summary>One entity's new version in <see cref="EntityStore.WriteAll"/>: its value, the version it replaces (zero: new) and its message.</summary>
public sealed record EntityChange(string Name, byte[] MessagePack, ObjectId Expected, EntityMessage Message);

/// <summary>A diverged version cannot be kept: another one, unrelated to it, is kept in conflict already.</summary>
public sealed class EntityConflictPendingException(string repo, string name, ObjectId kept)
    : CliveException($"entity '{Printable.Of(name)}' of {repo} already keeps another store's version {kept.ToString()[..12]} at {EntityName.ConflictPrefix}{Printable.Of(name)}; " +
        "settle that one first (merge it and clive entity set)");
