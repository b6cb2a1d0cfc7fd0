using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>Deltas survive the trip into the store: a pushed history costs about what git's own pack does.</summary>
public sealed class StoreSizeTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void PushedHistory_IsAtMostOnePointTwoTimesGitGcPack()
    {
        Directory.CreateDirectory(_sandbox.PathOf("src.git"));
        _sandbox.GitOk("src.git", "init", "-q", "--bare", "-b", "main");
        var history = ProcessRunner.Run("python3", [Path.Combine(SourceTree.Root, "scripts/bench/make_history.py"), "--commits", "600", "--files", "300"],
            _sandbox.Root, _sandbox.Environment).EnsureSuccess("make_history.py");
        ProcessRunner.Run("git", ["fast-import", "--quiet"], _sandbox.PathOf("src.git"), _sandbox.Environment, history.StdoutBytes)
            .EnsureSuccess("fast-import");
        _sandbox.GitOk("src.git", "gc", "-q");
        long packBytes = Directory.GetFiles(_sandbox.PathOf("src.git/objects/pack"), "*.pack").Sum(f => new FileInfo(f).Length);

        _sandbox.GitOk("src.git", "push", "-q", GitSandbox.Url("sized"), "main");

        long storeBytes = Directory.GetFiles(_sandbox.StoreDirectory, "store.db*").Sum(f => new FileInfo(f).Length);
        Assert.True(packBytes > 1_000_000, $"the history is too small to say anything ({packBytes} bytes)");
        Assert.True(storeBytes <= packBytes * 1.2, $"store {storeBytes} bytes is more than 1.2x the pack's {packBytes}");
        _sandbox.Clive("fsck").EnsureSuccess("fsck");
    }
}
