using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Clive.Tests.Fixtures;

/// <summary>
/// A real sshd for one test: 127.0.0.1, a free port, its own host key, and an authorized_keys
/// file written by <c>clive keys authorized-keys</c> from the sandbox's store, so every key may
/// run only <c>clive serve --identity</c>. Stopped on dispose.
/// </summary>
public sealed class SshServer : IDisposable
{
    public const string SshdPath = "/usr/sbin/sshd";
    private readonly GitSandbox _sandbox;
    private readonly string _dir;
    private Process? _sshd;

    public static bool Available => File.Exists(SshdPath) && File.Exists("/usr/bin/ssh-keygen");

    /// <param name="host">A network namespace to run sshd in, with the address it listens on; null for 127.0.0.1 here.</param>
    /// <param name="hostName">
    /// The host name sshd and everything it starts see (a UTS namespace of its own): engines started
    /// through it advertise and sign claims under this name, as a separate machine's would.
    /// </param>
    public SshServer(GitSandbox sandbox, (string Namespace, string Address)? host = null, string name = "ssh", string? hostName = null)
    {
        Skip.IfNot(Available, "sshd is not installed (apt-get install openssh-server)");
        _sandbox = sandbox;
        _dir = sandbox.PathOf(name);
        Address = host?.Address ?? "127.0.0.1";
        Directory.CreateDirectory(_dir);
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(_dir, "host_key"));
        Port = host is null ? FreePort() : 22;
        // sshd runs each forced command through the login shell, and bash, seeing SSH_CLIENT at
        // shell level 1, sources the machine user's ~/.bashrc first: seconds per connection where
        // that file starts pyenv or the like, and stray output would corrupt git's protocol.
        // SHLVL=1 makes bash a nested shell (level 2), which reads no startup file. XDG_DATA_HOME:
        // a plain login (no forced command, so no --store) finds an empty default store of the
        // test's own, not whatever the machine user's default store holds.
        File.WriteAllText(Path.Combine(_dir, "sshd_config"), $"""
            Port {Port}
            ListenAddress {Address}
            HostKey {_dir}/host_key
            PidFile {_dir}/sshd.pid
            AuthorizedKeysFile {_dir}/authorized_keys
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            AllowUsers {Environment.UserName}
            LogLevel ERROR
            SetEnv SHLVL=1 XDG_DATA_HOME={_dir}/far-side-data
            """);
        File.WriteAllText(Path.Combine(_dir, "authorized_keys"), "");
        Directory.CreateDirectory("/run/sshd"); // privilege separation directory
        string[] sshd = [SshdPath, "-D", "-e", "-f", Path.Combine(_dir, "sshd_config")];
        // Each step execs the next, so the process started here is sshd itself (killed, and its sockets found, by its pid).
        if (hostName is not null) sshd = ["unshare", "--uts", "sh", "-c", "hostname \"$0\" && exec \"$@\"", hostName, .. sshd];
        _sshd = host is { } h
            ? ProcessRunner.Start("ip", ["netns", "exec", h.Namespace, .. sshd], sandbox.Root, sandbox.Environment)
            : ProcessRunner.Start(sshd[0], sshd[1..], sandbox.Root, sandbox.Environment);
        _sshd.StandardInput.Close();
        if (host is null) WaitForPort();
        // Its address is reachable only from inside the other namespace; its sockets are seen from here.
        else Poll.Until(() => ListensInItsNamespace(_sshd), $"sshd to listen on {Address}:{Port}", 10, () => _sshd.HasExited ? "sshd exited" : "");
    }

    /// <summary>
    /// A server on which the sandbox's git acts as "owner", an identity with every right: the
    /// SSH twin of clive::local, for running the same scenarios over both transports.
    /// </summary>
    public static SshServer ForOwner(GitSandbox sandbox)
    {
        var server = new SshServer(sandbox);
        server.AddIdentity("owner");
        sandbox.Clive("grant", "owner", "admin", "*").EnsureSuccess("grant");
        sandbox.Environment["GIT_SSH_COMMAND"] = server.SshCommand("owner");
        return server;
    }

    public int Port { get; }

    public string Address { get; }

    /// <summary>A clive URL for a repo on this server.</summary>
    public string Url(string repo) => $"clive::{Environment.UserName}@{Address}:{Port}/{repo}";

    /// <summary>Makes a key pair, registers it as an identity, and rewrites authorized_keys.</summary>
    public string AddIdentity(string name)
    {
        var key = Path.Combine(_dir, "id_" + name);
        if (!File.Exists(key)) Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@test", "-f", key);
        _sandbox.Clive("keys", "add", name, key + ".pub").EnsureSuccess("clive keys add");
        RefreshAuthorizedKeys();
        return key;
    }

    /// <summary>A key with a plain login (no forced command): the machine owner's own key.</summary>
    public string AddOwnerKey(string name)
    {
        var key = Path.Combine(_dir, "id_" + name);
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name + "@test", "-f", key);
        _ownerKeys.Add(File.ReadAllText(key + ".pub"));
        RefreshAuthorizedKeys();
        return key;
    }

    private readonly List<string> _ownerKeys = [];

    public void RefreshAuthorizedKeys()
    {
        var lines = _sandbox.Clive("keys", "authorized-keys").EnsureSuccess("clive keys authorized-keys").Stdout;
        File.WriteAllText(Path.Combine(_dir, "authorized_keys"), string.Concat(_ownerKeys) + lines);
    }

    /// <summary>An ssh_config file naming this server <paramref name="alias"/>, logging in with a key.</summary>
    public string ConfigWithAlias(string alias, string identity)
    {
        var path = Path.Combine(_dir, "ssh_config");
        File.WriteAllText(path, $"""
            Host {alias}
              HostName 127.0.0.1
              Port {Port}
              User {Environment.UserName}
              IdentityFile {Path.Combine(_dir, "id_" + identity)}
              IdentitiesOnly yes
              StrictHostKeyChecking no
              UserKnownHostsFile /dev/null
              LogLevel ERROR
              BatchMode yes
            """);
        return path;
    }

    /// <summary>The ssh command line that logs in with an identity's key (GIT_SSH_COMMAND).</summary>
    public string SshCommand(string identity)
        => $"ssh -i {Path.Combine(_dir, "id_" + identity)} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no "
           + "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes";

    /// <summary>The sandbox's environment with git using this identity's key.</summary>
    public Dictionary<string, string> EnvironmentFor(string identity)
        => new(_sandbox.Environment) { ["GIT_SSH_COMMAND"] = SshCommand(identity) };

    public ProcessResult GitAs(string identity, string directory, params string[] args)
        => ProcessRunner.Run("git", args, _sandbox.PathOf(directory), EnvironmentFor(identity));

    /// <summary>Runs a remote command as an identity, the way a user types <c>ssh host grant …</c>.</summary>
    public ProcessResult SshAs(string identity, params string[] remoteCommand) => SshAs(identity, null, remoteCommand);

    /// <summary>As above, with bytes on the remote command's stdin: a hand-made protocol client.</summary>
    public ProcessResult SshAs(string identity, byte[]? stdin, params string[] remoteCommand)
    {
        var args = new List<string>();
        args.AddRange(SshCommand(identity).Split(' ').Skip(1));
        args.AddRange(["-p", Port.ToString(), $"{Environment.UserName}@127.0.0.1"]);
        args.AddRange(remoteCommand);
        return ProcessRunner.Run("ssh", args, _sandbox.Root, _sandbox.Environment, stdin);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Whether a socket of the process's network namespace listens on the port: /proc/PID/net/tcp
    /// lists that namespace's sockets (local address and port in hex, state 0A for LISTEN).
    /// `ip netns exec` runs sshd in its own place, so the process is sshd.
    /// </summary>
    private bool ListensInItsNamespace(Process process)
    {
        try
        {
            return File.ReadLines($"/proc/{process.Id}/net/tcp").Skip(1).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Any(fields => fields[1].EndsWith($":{Port:X4}", StringComparison.Ordinal) && fields[3] == "0A");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void WaitForPort()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (_sshd!.HasExited) throw new InvalidOperationException("sshd exited: " + _sshd.StandardError.ReadToEnd());
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }
        throw new TimeoutException("sshd did not start listening");
    }

    private void Run(string file, params string[] args)
        => ProcessRunner.Run(file, args, _sandbox.Root, _sandbox.Environment).EnsureSuccess(file);

    public void Dispose()
    {
        if (_sshd is { HasExited: false }) _sshd.Kill(entireProcessTree: true);
        _sshd?.Dispose();
        _sshd = null;
    }
}
