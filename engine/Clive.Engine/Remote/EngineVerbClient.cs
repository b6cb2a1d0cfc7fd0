using System.Diagnostics;
using Clive.Remote;

namespace Clive.Engine.Remote;

/// <summary>What the far side's serve verb said: its reply lines, or why it refused or could not be reached.</summary>
public sealed record VerbAnswer(bool Succeeded, IReadOnlyList<string> Lines, string? Error)
{
    /// <summary>The first word of the reply (started, running, stopped, not-running).</summary>
    public string Outcome => Lines.Count > 0 ? Lines[0].Split(':', 2)[0] : "";
}

/// <summary>
/// Runs one engine verb of <c>clive serve</c> on another host through the system's ssh, chosen as
/// git chooses it (<see cref="SshConnection"/>): the engine's ssh keys, config and known hosts are
/// its owner's, as for `git push clive::host/repo`.
/// </summary>
public static class EngineVerbClient
{
    /// <summary>engine-up waits for the far engine to advertise itself (up to 90 s there), plus the connection.</summary>
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(150);

    public static async Task<VerbAnswer> RunAsync(SshDestination destination, IReadOnlyList<string> words, CancellationToken cancel)
    {
        var info = SshConnection.Command(destination, words, remoteName: null);
        // The reason of a refusal ("fatal: … lacks the 'run' right …") is what the model's owner needs to read.
        info.RedirectStandardError = true;
        Process ssh;
        try
        {
            ssh = Process.Start(info) ?? throw new CliveException($"could not start '{info.FileName}'");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new VerbAnswer(false, [], $"could not start ssh: {e.Message}");
        }
        using (ssh)
        {
            ssh.StandardInput.Close();
            var stdout = ssh.StandardOutput.ReadToEndAsync(cancel);
            var stderr = ssh.StandardError.ReadToEndAsync(cancel);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(Within);
            try
            {
                await ssh.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { ssh.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                if (cancel.IsCancellationRequested) throw;
                return new VerbAnswer(false, [], $"no answer within {Within.TotalSeconds:0} s");
            }
            var lines = Lines(await stdout.ConfigureAwait(false));
            var errors = Lines(await stderr.ConfigureAwait(false)).Select(l => l.StartsWith("fatal: ", StringComparison.Ordinal) ? l["fatal: ".Length..] : l).ToList();
            return ssh.ExitCode == 0
                ? new VerbAnswer(true, lines, null)
                : new VerbAnswer(false, lines, errors.Count > 0 ? string.Join(" / ", errors.TakeLast(3)) : $"ssh exited with {ssh.ExitCode}");
        }
    }

    /// <summary>At most a few printable lines: another host's output is not trusted to be either short or printable.</summary>
    private static List<string> Lines(string text)
        => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(20)
            .Select(l => Clive.Printable.Of(l, 500)).ToList();
}
