using System.Diagnostics;

namespace Clive.Remote;

/// <summary>
/// Runs <c>clive serve &lt;service&gt; &lt;repo&gt;</c> on a remote host through the system's ssh,
/// chosen as git chooses it: <c>GIT_SSH_COMMAND</c>, then <c>core.sshCommand</c>, then
/// <c>GIT_SSH</c>, then <c>ssh</c>. The remote command is <c>clive</c> unless
/// <c>CLIVE_REMOTE_COMMAND</c> or <c>remote.&lt;name&gt;.cliveCommand</c> / <c>clive.remoteCommand</c>
/// say otherwise (like git's <c>remote.&lt;name&gt;.uploadpack</c>).
/// </summary>
public sealed class SshConnection
{
    public const string RemoteCommandVariable = "CLIVE_REMOTE_COMMAND";

    public static ProcessStartInfo Command(SshDestination destination, string service, string repo, string? remoteName)
        => Command(destination, [service, repo], remoteName);

    /// <summary>
    /// Runs <c>clive serve WORD…</c> there: a git service, or a verb such as <c>engine-up demo --label x</c>.
    /// </summary>
    public static ProcessStartInfo Command(SshDestination destination, IReadOnlyList<string> serveWords, string? remoteName)
    {
        var remoteClive = GitSettings.Get(RemoteCommandVariable,
            remoteName is null ? ["clive.remoteCommand"] : [$"remote.{remoteName}.cliveCommand", "clive.remoteCommand"]) ?? "clive";
        // The remote sshd hands this string to a shell. Services, repos and labels are validated to
        // plain words already; quoting them anyway keeps that true if the rules ever loosen.
        var remoteCommand = $"{remoteClive} serve {string.Join(' ', serveWords.Select(Quote))}";

        var sshArgs = new List<string>();
        if (destination.Port is { } port) sshArgs.AddRange(["-p", port.ToString()]);
        sshArgs.Add(destination.Host);
        sshArgs.Add(remoteCommand);

        ProcessStartInfo info;
        if (GitSettings.Get("GIT_SSH_COMMAND", "core.sshCommand") is { } shellCommand)
        {
            // As git does: the command is shell text, and our arguments follow it as "$@".
            info = new ProcessStartInfo("/bin/sh");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(shellCommand + " \"$@\"");
            info.ArgumentList.Add(shellCommand);
        }
        else
        {
            info = new ProcessStartInfo(Environment.GetEnvironmentVariable("GIT_SSH") is { Length: > 0 } program ? program : "ssh");
        }
        foreach (var arg in sshArgs) info.ArgumentList.Add(arg);
        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        // ssh's own messages (host key prompts, "Permission denied") go straight to the user.
        info.RedirectStandardError = false;
        return info;
    }

    /// <summary>Connects and relays bytes both ways until the remote side closes; returns ssh's exit code.</summary>
    public static int Relay(ProcessStartInfo command, Stream input, Stream output)
    {
        using var ssh = Process.Start(command) ?? throw new CliveException($"could not start '{command.FileName}'");
        var upstream = Task.Run(() =>
        {
            try
            {
                Pump(input, ssh.StandardInput.BaseStream);
            }
            catch (IOException)
            {
                // The remote side went away; the downstream copy reports what happened.
            }
            finally
            {
                try { ssh.StandardInput.Close(); } catch (IOException) { }
            }
        });
        Pump(ssh.StandardOutput.BaseStream, output);
        ssh.WaitForExit();
        return ssh.ExitCode;
    }

    private static void Pump(Stream from, Stream to)
    {
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = from.Read(buffer, 0, buffer.Length)) > 0)
        {
            to.Write(buffer, 0, n);
            to.Flush();
        }
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''") + "'";
}
