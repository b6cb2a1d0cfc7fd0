using Clive.Core.Store.Entities;
using Clive.Git;
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
        var bytes = MessagePackSerializer.Serialize(value, MessagePack.Resolvers.ContractlessStandardResolver.Options);
        using var store = sandbox.OpenStore();
        var current = store.Entities.Read(repo, name)?.Commit ?? ObjectId.Zero;
        return store.Entities.Write(repo, name, bytes, current, Tester, new EntityMessage("set by a test"));
    }
}
