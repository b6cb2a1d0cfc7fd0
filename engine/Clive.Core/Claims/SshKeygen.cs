using System.Diagnostics;

namespace Clive.Claims;

/// <summary>
/// OpenSSH's <c>ssh-keygen</c>, the one program that signs and verifies here (<c>-Y sign</c>,
/// <c>-Y verify</c>, the SSHSIG format git uses for signed commits): keys stay in OpenSSH's own
/// formats and no one has to trust a second implementation of them. Arguments go as a list, never
/// through a shell.
/// </summary>
internal static class SshKeygen
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Outcome Run(IReadOnlyList<string> arguments, byte[] input)
    {
        var start = new ProcessStartInfo("ssh-keygen")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CliveException("could not start ssh-keygen");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliveException($"could not start ssh-keygen (OpenSSH's client tools are needed to sign and verify claims): {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                process.StandardInput.BaseStream.Write(input);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // It exited without reading everything; its exit code and message say why.
            }
            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new CliveException($"ssh-keygen did not finish within {Timeout.TotalSeconds} s");
            }
            return new Outcome(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }
}
