using System.Text;
using Clive.Git;
using Clive.Packs;
using Clive.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>
/// A pushed object whose id the store already has must be the same bytes: a real SHA-1
/// collision of git objects cannot be made in a test, so the store is made to hold a different
/// object under the id (as a planted collision half would be) and the honest copy is pushed.
/// </summary>
public sealed class ObjectCollisionTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public ObjectCollisionTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void Push_OfObjectWhoseIdIsStoredWithOtherBytes_IsRefused_AndStoreUnchanged()
    {
        var honest = "the honest content of a file\n";
        var honestId = ObjectId.HashObject(ObjectType.Blob, Encoding.UTF8.GetBytes(honest));
        PlantUnder(honestId, "planted bytes, same length!!\n");
        _sandbox.Commit("src", "b", honest);
        var before = _sandbox.StoreSnapshot();

        var push = _sandbox.Git("src", "push", GitSandbox.Url("demo"), "main");

        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains($"SHA1 COLLISION FOUND WITH {honestId}", push.Stderr);
        Assert.DoesNotContain("   at ", push.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void Push_OfObjectsTheStoreHasAlready_IsAccepted()
    {
        _sandbox.Commit("src", "b", "more content " + new string('x', 300));
        _sandbox.Commit("src", "b", "more content " + new string('x', 300) + " edited");

        // A second repo of the same store: every object arrives again and is compared.
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("other"), "main");

        Assert.Equal(_sandbox.RevParse("src", "HEAD"), _sandbox.StoreRef("other"));
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    /// <summary>Stores <paramref name="content"/> as a blob and re-labels its index row as <paramref name="id"/>.</summary>
    private void PlantUnder(ObjectId id, string content)
    {
        using var store = _sandbox.OpenStore();
        var pack = new NewObjectsPack();
        var planted = pack.Add(ObjectType.Blob, Encoding.UTF8.GetBytes(content));
        using var transaction = store.BeginWrite();
        pack.InsertInto(store.Objects);
        using var relabel = new SqliteCommand("UPDATE objects SET oid=$to WHERE oid=$from", store.Connection);
        relabel.Parameters.AddWithValue("$to", id.ToBytes());
        relabel.Parameters.AddWithValue("$from", planted.ToBytes());
        Assert.Equal(1, relabel.ExecuteNonQuery());
        transaction.Commit();
    }
}
