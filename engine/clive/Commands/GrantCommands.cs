using System.CommandLine;
using Clive.Access;

namespace Clive.Cli.Commands;

internal static class GrantCommands
{
    public static Command Grant() => Change("grant", "Give an identity a right over a repo or part of it");

    public static Command Revoke() => Change("revoke", "Take back a right given with `clive grant` (same arguments)");

    private static Command Change(string verb, string description)
    {
        var identity = new Argument<string>("identity") { Description = "Identity name" };
        var right = new Argument<string>("right") { Description = "read, write (fast-forward), force (rewrite and delete), admin (grant within the scope) or run (have the engine run the models one pushes)" };
        var scope = new Argument<string>("scope") { Description = "<repo>[:<ref-pattern>]: demo, team/*, *, demo:refs/heads/team/*" };
        var command = new Command(verb, description) { identity, right, scope };
        command.SetAction(result =>
        {
            using var store = verb == "grant" ? GlobalOptions.OpenOrCreateStore(result) : GlobalOptions.OpenStore(result);
            var (who, what, where) = (result.GetValue(identity)!, Rights.Parse(result.GetValue(right)!), Scope.Parse(result.GetValue(scope)!));
            if (verb == "grant") store.Access.Grant(Principal.Owner, who, what, where);
            else store.Access.Revoke(Principal.Owner, who, what, where);
            return 0;
        });
        return command;
    }

    public static Command List()
    {
        var all = new Option<bool>("--all") { Description = "Include revoked grants: the whole history of who granted what" };
        var json = GlobalOptions.Json();
        var command = new Command("grants", "List the rights in force (with --all, their history)") { all, json };
        command.SetAction(result =>
        {
            using var store = GlobalOptions.OpenStore(result);
            var grants = store.Access.Grants(result.GetValue(all));
            if (result.GetValue(json))
            {
                JsonOutput.Write(grants.Select(g => new GrantJson(g.Id, g.Identity, g.Right.Name(), g.Scope.ToString(), g.GrantedBy,
                    JsonOutput.Time(g.GrantedAt), g.RevokedBy, (g.RevokedAt is { } revoked ? JsonOutput.Time(revoked) : null))).ToList(), CliveJson.Default.ListGrantJson);
                return 0;
            }
            foreach (var g in grants)
                Console.WriteLine($"{g.Identity}\t{g.Right.Name()}\t{g.Scope}\tgranted by {g.GrantedBy} {g.GrantedAt:yyyy-MM-dd HH:mm}"
                    + (g.Active ? "" : $"\trevoked by {g.RevokedBy} {g.RevokedAt:yyyy-MM-dd HH:mm}"));
            return 0;
        });
        return command;
    }
}
