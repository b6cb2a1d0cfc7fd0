using System.CommandLine;
using Clive.Access;
using Clive.CommandLine;
using Clive.Dispatch;
using Clive.Store;

namespace Clive.EngineHost;

/// <summary>
/// `clive serve --identity NAME --key FINGERPRINT` when the SSH client asked for an engine session:
/// `clive` checks the key and hands the session here (its messages need the JIT). The key is
/// checked again, as every serve does, and only an engine session is served.
/// </summary>
internal static class EngineSessionCommand
{
    public static Command Create()
    {
        var identity = new Option<string>("--identity") { Description = "The SSH identity the session serves", Required = true };
        var key = new Option<string>("--key") { Description = "The fingerprint of the key sshd admitted", Required = true };
        var command = new Command("serve", "Serve an engine session for an SSH identity (what `clive serve` hands over)") { identity, key };
        command.SetAction(result =>
        {
            // stderr is the remote key holder's terminal: no warnings about the owner's store.
            StorePermissions.Warnings = null;
            var store = result.GetValue(GlobalOptions.Store);
            var requested = Environment.GetEnvironmentVariable("SSH_ORIGINAL_COMMAND");
            if (requested is null || ServeRequest.Parse(requested).Verb != "engine-session")
                throw new UsageException("this command serves engine sessions only (clive serve hands them here)");
            using var stdin = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
            using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            var session = new ServeSession(Principal.Identity(result.GetValue(identity)!), result.GetValue(key)!, store, stdin, stdout, Console.Error)
            {
                EngineSessions = (principal, repo, input, output) => new EngineSessionServer(principal, store, input, output).Run(repo),
            };
            return session.Run(requested);
        });
        return command;
    }
}
