using System.CommandLine;
using Clive.Access;
using Clive.Claims;

namespace Clive.Cli.Commands;

/// <summary>
/// `clive trust`: which hosts' keys this store believes when another engine claims a result
/// (issue 14's signed claims), and the key this store's own engines sign with.
/// </summary>
internal static class TrustCommands
{
    public static Command Create()
    {
        var trust = new Command("trust", "Hosts whose signed results (claims) this store accepts, per repo; and this store's own signing key");
        trust.Subcommands.Add(Add());
        trust.Subcommands.Add(Remove());
        trust.Subcommands.Add(List());
        trust.Subcommands.Add(ShowKey());
        return trust;
    }

    private static Command Add()
    {
        var host = new Argument<string>("host") { Description = "The host's name, as its claims give it" };
        var file = new Argument<string>("pubkey-file") { Description = "The host's public key (what `clive trust key` prints there), or - for stdin" };
        var repos = new Argument<string>("repos") { Description = "The repos its results are accepted for: demo, team/* or *" };
        var command = new Command("add", "Accept results signed by a host's key for some repos (needs admin over them)") { host, file, repos };
        command.SetAction(result =>
        {
            var text = InputText.Read(result.GetValue(file)!, SshPublicKey.MaxLineLength, "the key");
            using var store = GlobalOptions.OpenOrCreateStore(result);
            var row = store.Trust.Trust(Principal.Owner, result.GetValue(host)!, text, result.GetValue(repos)!);
            Console.Error.WriteLine($"Trusting {row.Host} ({row.Key.Fingerprint}) for {row.Repos}.");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var host = new Argument<string>("host") { Description = "The host's name" };
        var repos = new Argument<string>("repos") { Description = "The scope it was trusted for (as given to `clive trust add`)" };
        var command = new Command("remove", "Stop accepting a host's results for a scope; its claims are refused from then on") { host, repos };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            store.Trust.Distrust(Principal.Owner, result.GetValue(host)!, result.GetValue(repos)!);
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var all = new Option<bool>("--all") { Description = "Include removed trust: the whole history of who trusted which host, and until when" };
        var json = GlobalOptions.Json();
        var command = new Command("list", "List the hosts trusted now (with --all, the history)") { all, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var rows = store.Trust.List(result.GetValue(all));
            if (result.GetValue(json))
            {
                JsonOutput.Write(rows.Select(t => new TrustJson(t.Id, t.Host, t.Key.Fingerprint, $"{t.KeyType} {t.KeyData}", t.Repos, t.GrantedBy,
                    JsonOutput.Time(t.GrantedAt), t.RevokedBy, t.RevokedAt is { } revoked ? JsonOutput.Time(revoked) : null)).ToList(), CliveJson.Default.ListTrustJson);
                return 0;
            }
            foreach (var t in rows)
                Console.WriteLine($"{t.Host}\t{t.Key.Fingerprint}\t{t.Repos}\ttrusted by {t.GrantedBy} {t.GrantedAt:yyyy-MM-dd HH:mm}"
                    + (t.Active ? "" : $"\tremoved by {t.RevokedBy} {t.RevokedAt:yyyy-MM-dd HH:mm}"));
            return 0;
        });
        return command;
    }

    private static Command ShowKey()
    {
        var command = new Command("key", "Print the public key this store's engines sign their results with (made on first use), for `clive trust add` elsewhere");
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenOrCreateStore(result);
            var key = HostKey.Of(store.Directory).PublicKey;
            Console.WriteLine($"{key.Type} {key.Data} {key.Comment}".TrimEnd());
            return 0;
        });
        return command;
    }
}
