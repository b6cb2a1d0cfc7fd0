using System.Diagnostics;
using System.Runtime.InteropServices;
using Clive;
using Clive.Fs;
using Clive.FsHost;
using Clive.FsHost.Fuse;
using Clive.Store;

// clive-fs [options] <repo>[@<ref>] <mountpoint>: a ref as a directory tree, through FUSE.
// In the background by default, like sshfs: the parent checks what it can, starts a detached
// child in the foreground, and returns once the kernel shows the mount.
const string Usage = """
    usage: clive-fs [options] <repo>[@<ref>] <mountpoint>

    Mounts a repo of the clive store (default ref: the repo's HEAD) as a directory tree.
    Unmount with: fusermount3 -u <mountpoint>

    options:
      -f, --foreground   stay in the foreground (Ctrl-C unmounts)
      --commit-delay S   seconds of quiet before saved edits become a commit (default 1)
      -o OPTIONS         mount options, comma-separated: allow_other (other users may enter,
                         with the access the modes give them; a non-root user needs
                         user_allow_other in /etc/fuse.conf), default_permissions (always on)
      --store DIR        the store (default: $CLIVE_STORE, else ~/.local/share/clive)
      -h, --help         show this help
    """;

bool foreground = false;
bool allowOther = false;
double commitDelay = 1.0;
string? storeDirectory = null;
var positional = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-h" or "--help": Console.WriteLine(Usage); return 0;
        case "-f" or "--foreground": foreground = true; break;
        case "--store" when i + 1 < args.Length: storeDirectory = args[++i]; break;
        case "-o" when i + 1 < args.Length:
            foreach (var option in args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (option == "allow_other") allowOther = true;
                else if (option != "default_permissions")
                {
                    Console.Error.WriteLine($"error: unknown mount option '{option}' (known: allow_other, default_permissions)\n\n{Usage}");
                    return 129;
                }
            }
            break;
        case "--commit-delay" when i + 1 < args.Length && double.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out commitDelay) && commitDelay >= 0:
            i++;
            break;
        case var option when option.StartsWith('-'):
            Console.Error.WriteLine($"error: unknown option '{option}'\n\n{Usage}");
            return 129;
        default: positional.Add(args[i]); break;
    }
}
if (positional.Count != 2)
{
    Console.Error.WriteLine(Usage);
    return 129;
}
var target = MountTarget.Parse(positional[0]);
var mountpoint = Path.GetFullPath(positional[1]);

return ErrorPolicy.Run(() =>
{
    if (!File.Exists("/dev/fuse")) throw new CliveException("/dev/fuse is missing: this system has no FUSE (load the fuse module; apt-get install fuse3)");
    if (!Directory.Exists(mountpoint)) throw new CliveException($"mountpoint '{mountpoint}' is not a directory");
    if (Mounts.IsMountPoint(mountpoint)) throw new CliveException($"'{mountpoint}' is already mounted (fusermount3 -u it first)");
    // Check repo and ref here, so a mistake is one line on the user's terminal, not in a log.
    using (var store = CliveStore.Open(storeDirectory, create: false)) MountedTree.Resolve(store, target.Repo, target.Ref);

    // The background mount says who its commits name in its log; a made-up identity is worth a line here too.
    if (!foreground && Clive.Git.UserIdentity.Resolve() is { FromGit: false } made) Console.Error.WriteLine($"warning: the mount {made}");
    return foreground ? Serve(target, mountpoint, storeDirectory, TimeSpan.FromSeconds(commitDelay), allowOther) : StartInBackground(args, mountpoint, storeDirectory);
});

static int Serve(MountTarget target, string mountpoint, string? storeDirectory, TimeSpan commitDelay, bool allowOther)
{
    void Log(string line) => Console.Error.WriteLine($"clive-fs: {line}");
    var identity = Clive.Git.UserIdentity.Resolve();
    using var tree = new MountedTree(CliveStore.Open(storeDirectory, create: false), target.Repo, target.Ref, identity.Identity, new ConflictNotices(Log),
        new Caller(LibC.GetUid(), LibC.GetGid()));
    // default_permissions always: the kernel checks every access against the modes, owners and
    // groups the mount shows, as it does on a local disk.
    var options = $"default_permissions,{(allowOther ? "allow_other," : "")}fsname=clive:{tree.Repo},subtype=clive";
    using var mount = new FuseMount(tree, mountpoint, options, Log);
    // A background thread that cannot go on stops the mount (unmounts it) rather than leave it quietly wrong.
    var failure = new MountFailure(Log, mount.Stop);
    using var follower = new RefFollower(storeDirectory, tree, mount.Invalidate, Log, failure);
    // Disposed first: what was saved before the unmount still becomes a commit.
    using var committer = new OverlayCommitter(tree, commitDelay, Clive.Access.Principal.Owner.Name, Log, failure);
    Log($"mounted {tree.Repo} ({tree.RefName} at {tree.CommitId.ToString()[..12]}) on {mountpoint}; {identity}");
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
    void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        mount.Stop();
    }
    int rc = mount.Run();
    // Files still open when the mount went away: what was written is saved, then committed.
    tree.SaveAll();
    Log("unmounted");
    if (failure.Reason is { } reason)
    {
        Console.Error.WriteLine("fatal: " + reason);
        return 128;
    }
    return rc == 0 ? 0 : 1;
}

static int StartInBackground(string[] args, string mountpoint, string? storeDirectory)
{
    var logDirectory = Path.Combine(StoreLocation.Resolve(storeDirectory), "logs");
    // The log names paths and refs of the store: as private as the store (the shell's >> would
    // create it as the umask says).
    StorePermissions.CreateDirectory(logDirectory);
    var log = Path.Combine(logDirectory, "clive-fs.log");
    StorePermissions.CreateFile(log, FileMode.OpenOrCreate, FileShare.ReadWrite).Dispose();
    // A new session (setsid), so the mount outlives this terminal; its output goes to the log.
    var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
    foreach (var a in new[] { "-c", "exec setsid \"$@\" </dev/null >>\"$CLIVE_FS_LOG\" 2>&1", "sh", Environment.ProcessPath!, "-f" }.Concat(args))
        info.ArgumentList.Add(a);
    info.Environment["CLIVE_FS_LOG"] = log;
    using var child = Process.Start(info)!;
    var deadline = DateTime.UtcNow.AddSeconds(30);
    while (DateTime.UtcNow < deadline)
    {
        if (Mounts.IsMountPoint(mountpoint)) return 0;
        if (child.WaitForExit(20))
        {
            if (Mounts.IsMountPoint(mountpoint)) return 0;
            var tail = File.ReadLines(log).TakeLast(3);
            throw new CliveException($"the mount failed: {string.Join(" / ", tail)} (log: {log})");
        }
    }
    throw new CliveException($"the mount did not appear within 30 s (log: {log})");
}
