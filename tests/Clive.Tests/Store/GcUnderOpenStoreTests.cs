using Clive.Git;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>
/// A long-lived process (the engine, a mount) keeps its store open while `clive gc` runs in
/// another: what it remembers of where objects lie must not outlive the packs gc deleted.
/// </summary>
public sealed class GcUnderOpenStoreTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void AConnectionThatLoadedTheIndex_ReadsKeptObjects_AndSeesDroppedOnesGone_AfterAnotherProcesssGc()
    {
        _sandbox.NewRepo("src", ("a.txt", "kept\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.GitOk("src", "checkout", "-q", "-b", "doomed");
        _sandbox.Commit("src", "b.txt", "only on the doomed branch\n");
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "doomed");
        var doomed = ObjectId.Parse(_sandbox.RevParse("src", "doomed"));
        var kept = ObjectId.Parse(_sandbox.RevParse("src", "main"));
        var keptTree = ObjectId.Parse(_sandbox.RevParse("src", "main^{tree}"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), ":doomed");

        using var store = _sandbox.OpenStore();
        // As many lookups as a long-lived process makes: the connection loads the whole index into memory.
        for (int i = 0; i < 5000; i++) store.Objects.Contains(ObjectId.HashObject(ObjectType.Blob, BitConverter.GetBytes(i)));
        Assert.True(store.Objects.Contains(doomed));

        _sandbox.Clive("gc").EnsureSuccess("gc");

        Assert.Equal(keptTree, store.Objects.ReadCommit(kept).Tree);
        Assert.False(store.Objects.IsStored(doomed));
        Assert.True(store.Objects.IsStored(kept));
    }
}
