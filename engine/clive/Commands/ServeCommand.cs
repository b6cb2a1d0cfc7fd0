using System.CommandLine;
using Clive.Protocol;

namespace Clive.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var service = new Argument<string>("service") { Description = "git-upload-pack or git-receive-pack" };
        var repo = new Argument<string>("repo") { Description = "Repo name" };
        var command = new Command("serve", "Speak git's pack protocol for one repo on stdin/stdout (what git-remote-clive runs over SSH)") { service, repo };
        command.SetAction(result =>
        {
            using var stdin = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
            using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            return GitService.Serve(result.GetValue(service)!, result.GetValue(repo)!, stdin, stdout,
                result.GetValue(GlobalOptions.Store), Identity.LocalUser);
        });
        return command;
    }
}
