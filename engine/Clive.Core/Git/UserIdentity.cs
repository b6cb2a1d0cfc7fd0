using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Clive.Git;

/// <summary>
/// Who the user's commits name as author and committer (a mount's, `clive entity set`'s): the
/// user's git identity, as git itself resolves it (<c>git var GIT_AUTHOR_IDENT</c> / <c>GIT_COMMITTER_IDENT</c>:
/// <c>GIT_AUTHOR_*</c>/<c>GIT_COMMITTER_*</c>, then <c>user.name</c>/<c>user.email</c>), else the
/// account's name at this host, and <see cref="Source"/> says which, for the mount to tell the user.
/// </summary>
public sealed record UserIdentity(CommitIdentity Identity, string Source, bool FromGit)
{
    public static UserIdentity Resolve()
    {
        var author = GitVar("GIT_AUTHOR_IDENT");
        var committer = GitVar("GIT_COMMITTER_IDENT");
        if (author is null && committer is null)
        {
            var fallback = $"{Environment.UserName} <{Environment.UserName}@{Environment.MachineName}>";
            return new UserIdentity(new CommitIdentity(fallback, fallback),
                "git has no identity for this user; set one with git config --global user.name/user.email", FromGit: false);
        }
        // git refuses a commit when either is missing; clive uses the other rather than none.
        return new UserIdentity(new CommitIdentity(author ?? committer!, committer ?? author!), "git's user identity", FromGit: true);
    }

    /// <summary>What clive says about the commits it makes for the user (the mount, when it starts).</summary>
    public override string ToString() => Identity.Author == Identity.Committer
        ? $"commits as {Identity.Author} ({Source})"
        : $"commits as author {Identity.Author}, committer {Identity.Committer} ({Source})";

    /// <summary>"Name &lt;email&gt;" of git's ident line (which ends with the time), or null when git cannot say.</summary>
    private static string? GitVar(string variable)
    {
        var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("var");
        info.ArgumentList.Add(variable);
        try
        {
            using var git = Process.Start(info)!;
            var stderr = git.StandardError.ReadToEndAsync();
            var line = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            _ = stderr.Result;
            var match = Ident.Match(line);
            return git.ExitCode == 0 && match.Success ? match.Groups[1].Value : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }

    private static readonly Regex Ident = new(@"^(.* <[^<>]*>) \d+ [+-]\d{4}$", RegexOptions.CultureInvariant);
}
