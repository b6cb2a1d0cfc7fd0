using System.Diagnostics;
using System.Text;

namespace Clive.Tests.Fixtures;

public sealed record ProcessResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string Output => Stdout + Stderr;

    public ProcessResult EnsureSuccess(string what)
    {
        if (ExitCode != 0) throw new Xunit.Sdk.XunitException($"{what} failed with exit {ExitCode}:\n{Stdout}\n{Stderr}");
        return this;
    }
}

/// <summary>Runs a real program, reading stdout and stderr at once so neither pipe can fill and stall it.</summary>
public static class ProcessRunner
{
    public static ProcessResult Run(string file, IEnumerable<string> args, string workingDirectory,
        IDictionary<string, string> environment, byte[]? stdin = null, TimeSpan? timeout = null)
    {
        using var process = Start(file, args, workingDirectory, environment);
        var stdout = ReadAll(process.StandardOutput.BaseStream);
        var stderr = ReadAll(process.StandardError.BaseStream);
        if (stdin is not null) process.StandardInput.BaseStream.Write(stdin);
        process.StandardInput.Close();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, Encoding.UTF8.GetString(stderr.Result));
    }

    public static Process Start(string file, IEnumerable<string> args, string workingDirectory, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return Process.Start(info)!;
    }

    private static async Task<byte[]> ReadAll(Stream stream)
    {
        var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
