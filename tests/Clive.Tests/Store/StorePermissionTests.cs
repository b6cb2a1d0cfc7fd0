using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Store;

/// <summary>
/// The store holds every pack, identity and grant: only its owner may read it, whatever the
/// umask, and an existing store others can read is pointed out.
/// </summary>
public sealed class StorePermissionTests : IDisposable
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    /// <summary>Runs a shell script under the most permissive umask, so only modes the products set explicitly count.</summary>
    private ProcessResult UnderUmask000(string script)
        => ProcessRunner.Run("/bin/sh", ["-c", "umask 000; " + script], _sandbox.Root, _sandbox.Environment);

    [Fact]
    public void NewStore_IsReadableByItsOwnerOnly_WhateverTheUmask()
    {
        _sandbox.NewRepo("src", ("a", "1"), ("b/c", "2"));
        File.WriteAllText(_sandbox.PathOf("alice.pub"), KeyInjectionLine());

        UnderUmask000("""
            cd src && git push -q clive::local/demo main && cd .. &&
            clive keys add alice alice.pub 2>/dev/null && clive gc && clive fsck >/dev/null && clive log demo >/dev/null
            """).EnsureSuccess("push, keys add, gc, fsck");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_sandbox.StoreDirectory));
        var exposed = Directory.EnumerateFileSystemEntries(_sandbox.StoreDirectory, "*", SearchOption.AllDirectories)
            .Where(p => (File.GetUnixFileMode(p) & GroupOrOthers) != 0)
            .Select(p => $"{Path.GetRelativePath(_sandbox.StoreDirectory, p)} {File.GetUnixFileMode(p)}").ToList();
        Assert.Empty(exposed);
        Assert.True(File.Exists(Path.Combine(_sandbox.StoreDirectory, "store.db")));
    }

    [Theory]
    [InlineData("")]          // the directory others may enter
    [InlineData("store.db")]  // or the database others may read
    public void ExistingStore_ReadableByOthers_IsWarnedAbout(string entry)
    {
        _sandbox.Clive("repo", "create", "demo").EnsureSuccess("repo create");
        var path = Path.Combine(_sandbox.StoreDirectory, entry);
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.GroupRead | UnixFileMode.OtherRead
            | (entry == "" ? UnixFileMode.GroupExecute | UnixFileMode.OtherExecute : 0));

        var list = _sandbox.Clive("repo", "list");

        list.EnsureSuccess("repo list");
        Assert.Equal("demo\n", list.Stdout);
        var warning = Assert.Single(list.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"warning: store '{_sandbox.StoreDirectory}' is readable by other users; chmod 700", warning);
    }

    [Fact]
    public void PrivateStore_OpensWithoutWarning()
    {
        _sandbox.Clive("repo", "create", "demo").EnsureSuccess("repo create");

        Assert.Equal("", _sandbox.Clive("repo", "list").EnsureSuccess("repo list").Stderr);
    }

    private static string KeyInjectionLine() => Clive.Tests.Remote.KeyInjectionTests.Ed25519Line(42, comment: "alice@test") + "\n";
}
