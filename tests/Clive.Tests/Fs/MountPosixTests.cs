using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Fs;

/// <summary>
/// A real clive-fs mount as a POSIX directory, driven by the tools that rely on it: ssh's check of
/// a key file's mode, tar restoring owners, fifos and hard links (compared with the same
/// extraction on the native disk), the kernel's permission checks for other users
/// (allow_other, default_permissions), hard links across a push and a remount.
/// </summary>
public sealed class MountPosixTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public MountPosixTests()
    {
        _sandbox.NewRepo("src", ("README.md", "hello\n"), ("tools/run.sh", "echo run\n"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    private FuseMountFixture Mount(params string[] options) => new(_sandbox, "demo", "mnt", ["--commit-delay", "0.2", .. options]);

    private ProcessResult Sh(string directory, string script)
        => ProcessRunner.Run("/bin/sh", ["-c", script], directory, _sandbox.Environment);

    private string Ok(string directory, string script) => Sh(directory, "set -e\n" + script).EnsureSuccess(script).Stdout;

    private static void WaitCommitted(FuseMountFixture mount)
        => Poll.Until(() => File.ReadAllText(mount.PathOf(".clive/status")).Contains("pending edits: 0\n"), "the mount to commit its edits", 30,
            () => File.ReadAllText(mount.PathOf(".clive/status")));

    private string LsTree()
    {
        _sandbox.GitOk("src", "pull", "-q", "--ff-only", GitSandbox.Url("demo"), "main");
        return _sandbox.GitOk("src", "ls-tree", "-r", "HEAD").Stdout;
    }

    [SkippableFact]
    public void SshKeygen_WritesAKey600_WhichSshAccepts_BeforeAndAfterACommitAndARemount()
    {
        using (var mount = Mount())
        {
            Ok(mount.Path, "ssh-keygen -q -t ed25519 -N '' -C test -f id_test");
            Assert.Equal("600", Ok(mount.Path, "stat -c %a id_test").Trim());
            Assert.StartsWith("ssh-ed25519 ", Ok(mount.Path, "ssh-keygen -y -f id_test"));
            // ssh refuses a key others can read: the mode shown is the one it checks.
            Ok(mount.Path, "chmod 644 id_test");
            Assert.Contains("UNPROTECTED PRIVATE KEY FILE", Sh(mount.Path, "ssh-keygen -y -f id_test").Stderr);
            Ok(mount.Path, "chmod 600 id_test");
            WaitCommitted(mount);
            Assert.Equal("600", Ok(mount.Path, "stat -c %a id_test").Trim());
        }
        Assert.Contains("100644 blob", LsTree().Split('\n').Single(l => l.EndsWith("\tid_test"))); // git records no more than that
        using var again = Mount();
        Assert.Equal("600", Ok(again.Path, "stat -c %a id_test").Trim());
        Assert.StartsWith("ssh-ed25519 ", Ok(again.Path, "ssh-keygen -y -f id_test"));
    }

    [SkippableFact]
    public void TarSameOwner_RestoresOwnersModesFifosAndHardLinks_AsTheNativeDiskDoes()
    {
        var source = _sandbox.PathOf("archive-src");
        Ok(_sandbox.Root, $"""
            mkdir -p {source}/etc {source}/shared
            cd {source}
            echo secret > etc/key && chmod 600 etc/key && chown 1234:5678 etc/key
            echo tool > etc/tool && chmod 4755 etc/tool
            chown 42:43 shared && chmod 3777 shared
            echo linked > shared/one && ln shared/one shared/two && ln shared/one etc/three
            mkfifo -m 640 shared/pipe && chown 7:8 shared/pipe
            ln -s ../etc/key shared/link
            tar -cf ../archive.tar .
            """);
        using var mount = Mount();
        var native = _sandbox.PathOf("native");
        var mounted = mount.PathOf("restored");
        foreach (var target in new[] { native, mounted })
            Ok(_sandbox.Root, $"mkdir {target} && tar --same-owner -xpf {_sandbox.PathOf("archive.tar")} -C {target}");

        // Everything but inode numbers and a directory's size (which each file system counts its own way).
        const string Listing = "find . \\( -type d -printf '%M %u %g %n %T@ %p\\n' \\) -o -printf '%M %u %g %n %s %T@ %p\\n' | sort";
        var expected = Ok(native, Listing);
        Assert.Contains("prw-r-----", expected); // the archive holds what the test is about
        Assert.Equal(expected, Ok(mounted, Listing));
        Assert.Equal(Ok(mounted, "stat -c %i shared/one"), Ok(mounted, "stat -c %i etc/three"));

        WaitCommitted(mount);
        var tree = LsTree();
        Assert.Contains("restored/etc/three", tree);   // a hard link commits as each of its names
        Assert.Contains("restored/shared/two", tree);
        Assert.DoesNotContain("pipe", tree);           // git keeps no fifos
        Assert.Contains("100755 blob", tree.Split('\n').Single(l => l.EndsWith("\trestored/etc/tool")));
    }

    [SkippableFact]
    public void ChmodChownRenameLinkAndWrite_MoveCtime_AndOtherUsersGetWhatTheModesSay()
    {
        // Other users must be able to reach the mount point to be refused by it rather than by the sandbox.
        Ok(_sandbox.Root, $"chmod 711 {_sandbox.Root}");
        using var mount = Mount("-o", "allow_other");
        const string Times = "import os,sys; s=os.stat(sys.argv[1]); print(s.st_ctime_ns, s.st_mtime_ns)";
        (long Ctime, long Mtime) Stat(string path)
        {
            var fields = Ok(mount.Path, $"python3 -c '{Times}' {path}").Split(' ');
            return (long.Parse(fields[0]), long.Parse(fields[1]));
        }
        Ok(mount.Path, "echo private > secret && chmod 600 secret && echo open > public");
        foreach (var (step, before, after) in new[]
        {
            ("chmod 640 secret", "secret", "secret"), ("chown 1234:1234 secret", "secret", "secret"), ("mv secret secret2", "secret", "secret2"),
            ("ln secret2 secret3", "secret2", "secret2"), ("echo more >> secret2", "secret2", "secret2"),
        })
        {
            var was = Stat(before);
            Ok(mount.Path, step);
            var now = Stat(after);
            Assert.True(now.Ctime > was.Ctime, $"{step} moves ctime ({was.Ctime} → {now.Ctime})");
            if (step.StartsWith("echo")) Assert.True(now.Mtime > was.Mtime, "a write moves mtime");
            else Assert.Equal(was.Mtime, now.Mtime);
        }
        Assert.Equal("1234 1234 640 2", Ok(mount.Path, "stat -c '%u %g %a %h' secret2").Trim());

        // The kernel checks access against the modes shown (default_permissions).
        const string Nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups";
        Ok(mount.Path, "chown 0:0 secret2 && chmod 600 secret2");
        Assert.Equal("open", Ok(mount.Path, $"{Nobody} cat public").Trim());
        Assert.Contains("Permission denied", Sh(mount.Path, $"{Nobody} cat secret2").Stderr);
        Assert.Contains("Operation not permitted", Sh(mount.Path, $"{Nobody} chown 65534 public").Stderr);
        Assert.Contains("Permission denied", Sh(mount.Path, $"{Nobody} touch mine").Stderr);
        Ok(mount.Path, "mkdir drop && chmod 1777 drop");
        Ok(mount.Path, $"{Nobody} sh -c 'echo x > drop/theirs'");
        Assert.Equal("65534 65534", Ok(mount.Path, "stat -c '%u %g' drop/theirs").Trim());
    }

    [SkippableFact]
    public void HardLinksAndFifos_SurviveAPushAndARemount_AndTheFifoStaysOutOfCommits()
    {
        string inode;
        using (var mount = Mount())
        {
            Ok(mount.Path, "echo shared > one && ln one two && mkfifo pipe");
            inode = Ok(mount.Path, "stat -c %i one");
            WaitCommitted(mount);
            _sandbox.GitOk("src", "pull", "-q", "--ff-only", GitSandbox.Url("demo"), "main");
            _sandbox.Commit("src", "README.md", "pushed\n");
            _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
            Poll.Until(() => File.ReadAllText(mount.PathOf("README.md")) == "pushed\n", "the push to show in the mount");
            Assert.Equal($"{inode.Trim()} 2", Ok(mount.Path, "stat -c '%i %h' two").Trim());
            Assert.Equal("fifo", Ok(mount.Path, "stat -c %F pipe").Trim());
        }
        Assert.DoesNotContain("pipe", LsTree());
        using var again = Mount();
        Assert.Equal(Ok(again.Path, "stat -c %i one"), Ok(again.Path, "stat -c %i two"));
        Assert.Equal("2", Ok(again.Path, "stat -c %h one").Trim());
        Ok(again.Path, "echo via-two > two");
        Assert.Equal("via-two", Ok(again.Path, "cat one").Trim());
        Assert.Equal("fifo", Ok(again.Path, "stat -c %F pipe").Trim());
    }
}
