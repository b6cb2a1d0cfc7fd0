using System.CommandLine;
using Clive.Access;

namespace Clive.Cli.Commands;

internal static class KeysCommands
{
    public static Command Create()
    {
        var keys = new Command("keys", "Identities: SSH public keys with names, and the authorized_keys lines that admit them");
        keys.Subcommands.Add(Add());
        keys.Subcommands.Add(List());
        keys.Subcommands.Add(Remove());
        keys.Subcommands.Add(AuthorizedKeysCommand());
        return keys;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "Identity name, e.g. alice" };
        var file = new Argument<string>("pubkey-file") { Description = "The identity's SSH public key file (e.g. id_ed25519.pub), or - for stdin" };
        var command = new Command("add", "Add an identity") { name, file };
        command.SetAction(result =>
        {
            var text = InputText.Read(result.GetValue(file)!, SshPublicKey.MaxLineLength, "the key");
            using var store = GlobalOptions.OpenOrCreateStore(result);
            store.Access.AddKey(result.GetValue(name)!, text);
            Console.Error.WriteLine($"Added identity '{result.GetValue(name)}'. Run `clive keys authorized-keys` and install its output for sshd.");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var json = GlobalOptions.Json();
        var command = new Command("list", "List identities") { json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var keys = store.Access.Keys();
            if (result.GetValue(json))
                JsonOutput.Write(keys.Select(k => new KeyJson(k.Name, k.PublicKey, k.Comment, JsonOutput.Time(k.Added))).ToList(), CliveJson.Default.ListKeyJson);
            else
                foreach (var k in keys) Console.WriteLine($"{k.Name}\t{k.KeyType} {k.KeyData[..Math.Min(16, k.KeyData.Length)]}…\t{k.Comment}");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "Identity name" };
        var command = new Command("remove", "Remove an identity: its key stops working at once and its grants are revoked") { name };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            store.Access.RemoveKey(result.GetValue(name)!, Principal.Owner);
            return 0;
        });
        return command;
    }

    private static Command AuthorizedKeysCommand()
    {
        var command = new Command("authorized-keys",
            "Print authorized_keys lines: each key may only run `clive serve --identity <name> --key <fingerprint>` (install them in ~/.ssh/authorized_keys)");
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            // sshd runs the forced command without CLIVE_STORE: name the store unless it is the default one.
            string? storeArgument = store.Directory == Clive.Store.StoreLocation.Default() ? null : store.Directory;
            Console.Write(AuthorizedKeys.Render(store.Access.Keys(), Environment.ProcessPath!, storeArgument,
                skipped => Console.Error.WriteLine("warning: " + skipped)));
            return 0;
        });
        return command;
    }
}
