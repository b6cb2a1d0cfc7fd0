using Clive;
using Clive.Remote;

// git runs: git-remote-clive <remote-name> <url>   (gitremote-helpers)
if (args.Length < 1 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: git-remote-clive <remote> [<url>]\n\nA git remote helper: git runs it for URLs like clive::local/<repo>.\nSee `clive --help` for the store itself.");
    return args.Length < 1 ? 129 : 0;
}
// git passes the remote's name, or the URL itself when the command line named no remote.
string? remote = args.Length > 1 && !args[0].Contains("::") && !args[0].Contains("://") ? args[0] : null;
string url = args.Length > 1 ? args[1] : args[0];
using var stdin = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
// An IOException here is git closing the pipes (it died or was interrupted): one line, like any user's problem.
return ErrorPolicy.Run(() => new RemoteHelper(remote, url, stdin, stdout, null).Run());
