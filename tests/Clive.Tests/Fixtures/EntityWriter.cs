using Clive.Core.Store.Entities;
using Clive.Git;
using Clive.Store.Refs;
using MessagePack;

namespace Clive.Tests.Fixtures;

/// <summary>Writes entity versions into a sandbox's store as `clive entity set` does: a compare-and-swap on the current version.</summary>
public static class EntityWriter
{
    private static readonly CommitIdentity Tester = new("Tester <tester@example.com>", "Tester <tester@example.com>");

    /// <summary>
    /// Makes <paramref name="value"/> (plain dictionaries, lists, strings and numbers: a record as a
    /// map of its members) the next version of entity <paramref name="name"/>; returns the version.
    /// </summary>
    public static ObjectId Set(GitSandbox sandbox, string repo, string name, object? value)
    {
        using var store = sandbox.OpenStore();
        var current = store.Entities.Read(repo, name)?.Commit ?? ObjectId.Zero;
        return store.Entities.Write(repo, name, Encode(value), current, Tester, new EntityMessage("set by a test"));
    }

    /// <summary>
    /// Makes the entity diverge as when another store changed it too: <paramref name="theirs"/> becomes
    /// a version on top of the current one, kept at refs/clive/incoming/entities/&lt;name&gt; (where
    /// receive-pack keeps a pushed version that is not a fast-forward), and <paramref name="ours"/> the entity's next version here.
    /// </summary>
    public static (ObjectId Ours, ObjectId Theirs) Diverge(GitSandbox sandbox, string repo, string name, object? ours, object? theirs)
    {
        using var store = sandbox.OpenStore();
        var ancestor = store.Entities.Read(repo, name)!.Commit;
        var theirsVersion = store.Entities.Write(repo, name, Encode(theirs), ancestor, Tester, new EntityMessage("their change"));
        using (var transaction = store.BeginRefTransaction("tester", "another store's version"))
        {
            transaction.Update(repo, [
                new RefUpdate("refs/clive/entities/" + name, theirsVersion, ancestor),
                new RefUpdate("refs/clive/incoming/entities/" + name, ObjectId.Zero, theirsVersion)], atomic: true);
            transaction.Commit();
        }
        var oursVersion = store.Entities.Write(repo, name, Encode(ours), ancestor, Tester, new EntityMessage("our change"));
        return (oursVersion, theirsVersion);
    }

    private static byte[] Encode(object? value) => MessagePackSerializer.Serialize(value, MessagePack.Resolvers.ContractlessStandardResolver.Options);
}
