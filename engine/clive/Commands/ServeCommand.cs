using System.CommandLine;
using Clive.Access;
using Clive.Protocol;
using Clive.Store;

namespace Clive.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var service = new Argument<string?>("service") { Description = "git-upload-pack or git-receive-pack", Arity = ArgumentArity.ZeroOrOne };
        var repo = new Argument<string?>("repo") { Description = "Repo name", Arity = ArgumentArity.ZeroOrOne };
        var identity = new Option<string?>("--identity")
        {
            Description = "Serve an SSH identity: run what SSH_ORIGINAL_COMMAND asks, with that identity's rights (the forced command of `clive keys authorized-keys`)",
        };
        var key = new Option<string?>("--key")
        {
            Description = "With --identity: the fingerprint (SHA256:…) of the key sshd admitted; refused unless it is the identity's key now",
        };
        var command = new Command("serve", "Speak git's pack protocol for one repo on stdin/stdout (what git-remote-clive runs over SSH)")
        {
            service, repo, identity, key,
        };
        command.SetAction(result =>
        {
            using var stdin = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
            using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            var store = result.GetValue(GlobalOptions.Store);
            if (result.GetValue(identity) is { } name)
            {
                // stderr is the remote key holder's terminal: no warnings about the owner's store.
                StorePermissions.Warnings = null;
                // A line without --key predates key binding: it would admit whatever key it names
                // even after the identity was given another one, so it must be installed again.
                var fingerprint = result.GetValue(key)
                    ?? throw new UsageException("this authorized_keys line has no --key: the machine owner installs `clive keys authorized-keys` again");
                string[] engineArguments = [.. store is null ? [] : new[] { "--store", store }, "serve", "--identity", name, "--key", fingerprint];
                var session = new ServeSession(Principal.Identity(name), fingerprint, store, stdin, stdout, Console.Error)
                {
                    // Nothing of stdin is read before the verb is known: the engine gets the channel untouched.
                    EngineSessions = (_, _, _, _) => EngineLauncher.Exec(engineArguments),
                };
                return session.Run(Environment.GetEnvironmentVariable("SSH_ORIGINAL_COMMAND"));
            }
            if (result.GetValue(service) is not { } s || result.GetValue(repo) is not { } r)
                throw new UsageException("usage: clive serve <service> <repo>, or clive serve --identity <name>");
            if (s is not (GitService.UploadPack or GitService.ReceivePack))
                throw new UsageException($"unknown service '{s}': use {GitService.UploadPack} or {GitService.ReceivePack}");
            // Without --identity the caller is whoever runs this process: the machine's owner.
            return GitService.Serve(s, r, stdin, stdout, store, Principal.Owner);
        });
        return command;
    }
}
