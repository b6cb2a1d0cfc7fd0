using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// The published SHA-1 collisions pushed as files: git's verdict on them as blobs. The blob header
/// git hashes first moves the attack blocks off the chaining values they were made for, so
/// upstream git (with sha1dc) stores both SHAttered PDFs as two ordinary blobs; clive must too,
/// with git's ids, while hashing every byte through collision detection.
/// </summary>
public sealed class CollisionVectorPushTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [SkippableFact]
    public void Push_OfBothShatteredPdfs_StoresThemAsGitDoes_AndFsckIsClean()
    {
        var first = CollisionVectors.Read("shattered-1.pdf");
        var second = CollisionVectors.Read("shattered-2.pdf");
        _sandbox.NewRepo("src");
        File.WriteAllBytes(_sandbox.PathOf("src/shattered-1.pdf"), first);
        File.WriteAllBytes(_sandbox.PathOf("src/shattered-2.pdf"), second);
        _sandbox.GitOk("src", "add", ".");
        _sandbox.GitOk("src", "commit", "-q", "-m", "both halves of SHAttered");

        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");

        Assert.Equal(_sandbox.RevParse("src", "main"), _sandbox.StoreRef());
        using (var store = _sandbox.OpenStore())
        {
            foreach (var name in new[] { "shattered-1.pdf", "shattered-2.pdf" })
            {
                var id = Clive.Git.ObjectId.Parse(_sandbox.RevParse("src", "main:" + name));
                Assert.True(store.Objects.TryGetType(id, out _), $"{name}'s blob {id} is not in the store");
            }
        }
        var fsck = _sandbox.Clive("fsck");
        Assert.True(fsck.ExitCode == 0, fsck.Stdout + fsck.Stderr);
    }
}
