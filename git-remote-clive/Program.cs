using Clive;
using Clive.Remote;

// git runs: git-remote-clive <remote-name> <url>   (gitremote-helpers)
if (args.Length < 1 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: git-remote-clive <remote> [<url>]\n\nA git remote helper: git runs it for URLs like clive::local/<repo>.\nSee `clive --help` for the store itself.");
    return args.Length < 1 ? 129 : 0;
}
string url = args.Length > 1 ? args[1] : args[0];
using var stdin = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
try
{
    return new RemoteHelper(url, stdin, stdout, null, Identity.LocalUser).Run();
}
catch (CliveException e)
{
    Console.Error.WriteLine("fatal: " + e.Message);
    return 128;
}
