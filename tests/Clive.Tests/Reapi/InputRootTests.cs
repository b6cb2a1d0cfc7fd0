using System.Text;
using Build.Bazel.Remote.Execution.V2;
using Clive.Git;
using Clive.Reapi;
using Xunit;

namespace Clive.Tests.Reapi;

/// <summary>Git files to REAPI input roots: deterministic, in the API's order, each Git tree translated once.</summary>
public sealed class InputRootTests
{
    private readonly Dictionary<ObjectId, byte[]> _blobs = [];
    private int _reads;

    private InputFile File(string path, string content, int mode = TreeEntry.RegularFile)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var id = ObjectId.HashObject(ObjectType.Blob, bytes);
        _blobs[id] = bytes;
        return new InputFile(path, mode, id);
    }

    private InputRootBuilder Builder() => new(id => { _reads++; return _blobs[id]; });

    [Fact]
    public void TheSameFiles_InAnyOrder_GiveTheSameRootDigest()
    {
        InputFile[] files = [File("tree/b.txt", "b"), File("tree/a/x", "x", TreeEntry.ExecutableFile), File("tree/B", "B"), File("tree/a/l", "x", TreeEntry.Symlink)];
        var one = Builder().Build(files);
        var two = Builder().Build(files.Reverse());
        Assert.Equal(one.Digest, two.Digest);
        Assert.NotEqual(one.Digest, Builder().Build([.. files.Take(3), File("tree/a/l", "y", TreeEntry.Symlink)]).Digest);
        Assert.NotEqual(one.Digest, Builder().Build([files[0], File("tree/a/x", "x"), files[2], files[3]]).Digest);
    }

    [Fact]
    public void Directories_ListTheirEntriesSortedByName_WithSha256Digests()
    {
        var root = Builder().Build([File("tree/b", "b"), File("tree/B", "B"), File("tree/a/x", "x", TreeEntry.ExecutableFile), File("tree/a/l", "x", TreeEntry.Symlink)]);
        var rootDirectory = Build.Bazel.Remote.Execution.V2.Directory.Parser.ParseFrom(root.Blobs[Digests.Key(root.Digest)].Bytes);
        var tree = Build.Bazel.Remote.Execution.V2.Directory.Parser.ParseFrom(root.Blobs[Digests.Key(rootDirectory.Directories.Single().Digest)].Bytes);
        Assert.Equal(["B", "b"], tree.Files.Select(f => f.Name));
        var a = Build.Bazel.Remote.Execution.V2.Directory.Parser.ParseFrom(root.Blobs[Digests.Key(tree.Directories.Single().Digest)].Bytes);
        Assert.True(a.Files.Single().IsExecutable);
        Assert.Equal("x", a.Symlinks.Single().Target);
        Assert.Equal("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881", a.Files.Single().Digest.Hash); // sha256("x")
        // Every directory and file content is among the blobs to send; a symlink is no blob.
        Assert.Equal(3 + 3, root.Blobs.Count);
    }

    [Fact]
    public void ATreeMetAgain_IsNotTranslatedOrHashedAgain()
    {
        var builder = Builder();
        InputFile[] shared = [File("tree/lib/a", "a"), File("tree/lib/b", "b")];
        builder.Build([.. shared, File("tree/main", "1")]);
        var directories = builder.CachedDirectories;
        var reads = _reads;
        builder.Build([.. shared, File("tree/main", "2")]);
        // Only the changed file is read and hashed; lib/ comes from the cache, new are the two directories above it.
        Assert.Equal(reads + 1, _reads);
        Assert.Equal(directories + 2, builder.CachedDirectories);
    }
}
