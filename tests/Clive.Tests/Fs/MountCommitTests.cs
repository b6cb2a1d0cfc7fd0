using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>
/// What a mount's commits say: who made them (the user's git identity, as git resolves it), and
/// what they change (never a temp file or an empty directory the overlay only passed through);
/// and that edits which change nothing leave the pending count instead of lingering.
/// </summary>
public sealed class MountCommitTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountCommitTests()
    {
        _sandbox.NewRepo("src", ("README.md", "hello world\n"), ("lib/util.c", "int util;\n"), ("docs/old.txt", "old\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    private FuseMountFixture Mount() => new(_sandbox, "demo", "mnt", "--commit-delay", "0.5");

    private ProcessResult Sh(string directory, string script)
        => ProcessRunner.Run("/bin/sh", ["-c", "set -e\n" + script], directory, _sandbox.Environment).EnsureSuccess(script);

    /// <summary>Waits until the ref has left <paramref name="before"/> (the mount's commit); the new head's given fields.</summary>
    private string CommittedHead(string before, string format)
    {
        Poll.Until(() => _sandbox.StoreRef() != before, "the mount's commit");
        _sandbox.GitOk("src", "fetch", "-q", GitSandbox.Url("demo"), "main");
        return _sandbox.GitOk("src", "log", "-1", $"--format={format}", "FETCH_HEAD").Stdout.TrimEnd('\n');
    }

    private void Without(params string[] variables)
    {
        foreach (var v in variables) _sandbox.Environment.Remove(v);
    }

    [SkippableFact]
    public void Commits_NameTheGitIdentityFromTheEnvironment_AuthorAndCommitterEach()
    {
        _sandbox.Environment["GIT_COMMITTER_NAME"] = "Cy Committer";
        _sandbox.Environment["GIT_COMMITTER_EMAIL"] = "cy@example.com";
        using var mount = Mount();
        var before = _sandbox.StoreRef();

        File.WriteAllText(mount.PathOf("new.txt"), "x\n");

        Assert.Equal("Ada Author <ada@example.com>|Cy Committer <cy@example.com>", CommittedHead(before, "%an <%ae>|%cn <%ce>"));
    }

    [SkippableFact]
    public void Commits_NameTheUserNameAndEmailOfGitConfig()
    {
        Without("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL");
        _sandbox.GitOk("", "config", "--global", "user.name", "Grace Config");
        _sandbox.GitOk("", "config", "--global", "user.email", "grace@example.com");
        using var mount = Mount();
        var before = _sandbox.StoreRef();

        File.WriteAllText(mount.PathOf("new.txt"), "x\n");

        Assert.Equal("Grace Config <grace@example.com>|Grace Config <grace@example.com>", CommittedHead(before, "%an <%ae>|%cn <%ce>"));
    }

    [SkippableFact]
    public void WithoutAGitIdentity_TheMountSaysWhoItsCommitsName()
    {
        Without("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL");
        // Git would otherwise guess from the host name on some machines: make it refuse, as it does on most.
        _sandbox.Environment["GIT_CONFIG_COUNT"] = "3";
        _sandbox.Environment["GIT_CONFIG_KEY_2"] = "user.useConfigOnly";
        _sandbox.Environment["GIT_CONFIG_VALUE_2"] = "true";
        using var mount = Mount();
        var fallback = $"{Environment.UserName} <{Environment.UserName}@{Environment.MachineName}>";

        Assert.Contains($"warning: the mount commits as {fallback} (git has no identity for this user; set one with git config --global user.name/user.email)",
            mount.Result.Stderr);
        var before = _sandbox.StoreRef();
        File.WriteAllText(mount.PathOf("new.txt"), "x\n");
        Assert.Equal($"{fallback}|{fallback}", CommittedHead(before, "%an <%ae>|%cn <%ce>"));
    }

    [SkippableFact]
    public void TheMessage_ListsWhatTheCommitChanges_NotTempFilesOrEmptyDirectories()
    {
        using var mount = Mount();
        var before = _sandbox.StoreRef();

        Sh(mount.Path, """
            sed -i 's/world/clive/' README.md
            mv docs/old.txt docs/renamed.txt
            rm lib/util.c
            echo new > new.txt
            mkdir -p scratch/deeper && echo tmp > scratch/deeper/t && rm -r scratch
            mkdir empty
            """);

        Assert.Equal("""
            clive-fs: README.md, docs/renamed.txt, lib/util.c, new.txt

            modified:   README.md
            renamed:    docs/old.txt -> docs/renamed.txt
            deleted:    lib/util.c
            new file:   new.txt
            """, CommittedHead(before, "%B"));
    }

    [SkippableFact]
    public void EditsThatChangeNothing_LeaveThePendingCount_WithoutACommit()
    {
        using var mount = Mount();
        var before = _sandbox.StoreRef();

        // vim's write probe and swap file (ignored names), and a plain temp file: made, then removed.
        Sh(mount.Path, """
            touch 4913 && rm 4913
            echo swap > .notes.txt.swp && rm .notes.txt.swp
            echo t > scratch.tmp && rm scratch.tmp
            """);

        Poll.Until(() => File.ReadAllText(mount.PathOf(".clive/status")).Contains("pending edits: 0\n"), "the pending count to drop");
        Assert.Equal(before, _sandbox.StoreRef());
        using (var store = _sandbox.OpenStore()) Assert.Empty(store.Overlay.Load("demo", "refs/heads/main"));

        // An ignored file that stays is in the mount and out of commits: not a pending edit.
        File.WriteAllText(mount.PathOf("left.swp"), "swap");
        Poll.Until(() => File.ReadAllText(mount.PathOf(".clive/status")).Contains("pending edits: 0\nignored, kept out of commits: 1\n"), "the ignored file to be counted apart");
        Assert.Equal(before, _sandbox.StoreRef());
    }
}
