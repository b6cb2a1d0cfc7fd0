using System.Diagnostics;

namespace Clive.Remote;

/// <summary>
/// A setting as git users expect it: the environment variable wins, then git's own config, read
/// by asking git (never by parsing its files), so includes, conditionals and scopes all apply.
/// </summary>
public static class GitSettings
{
    public static string? Get(string? environmentVariable, params string[] configKeys)
    {
        if (environmentVariable is not null && Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } fromEnvironment)
            return fromEnvironment;
        foreach (var key in configKeys)
        {
            if (ReadConfig(key) is { } value) return value;
        }
        return null;
    }

    private static string? ReadConfig(string key)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "config", "--null", "--get", key }) info.ArgumentList.Add(arg);
        try
        {
            using var git = Process.Start(info)!;
            var value = git.StandardOutput.ReadToEnd();
            git.StandardError.ReadToEnd();
            git.WaitForExit();
            return git.ExitCode == 0 ? value.TrimEnd('\0') : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
