using System.CommandLine;
using Clive.Store;

namespace Clive.Cli.Commands;

internal static class EventsCommand
{
    public static Command Create()
    {
        var since = new Option<long>("--since") { Description = "Show events after this sequence number", DefaultValueFactory = _ => 0 };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep running and print each new event as it happens" };
        var json = GlobalOptions.Json();
        var command = new Command("events", "Show ref changes across the store, in order (one sequence for the whole store)") { since, follow, json };
        command.SetAction((result, cancel) =>
        {
            using var store = GlobalOptions.OpenStore(result);
            using var follower = result.GetValue(follow) ? store.Events.Follow() : null;
            long last = result.GetValue(since);
            bool asJson = result.GetValue(json);
            do
            {
                foreach (var e in store.Events.Since(last))
                {
                    Print(e, asJson);
                    last = e.Sequence;
                }
                if (!result.GetValue(follow)) break;
                try
                {
                    follower!.WaitForNext(last, cancel);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            } while (true);
            return Task.FromResult(0);
        });
        return command;
    }

    private static void Print(RefEvent e, bool json)
    {
        if (json)
        {
            JsonOutput.WriteLine(EventJson.From(e), CliveJson.Default.EventJson);
            return;
        }
        Console.WriteLine($"{e.Sequence} {e.Repo} {e.Ref} {(e.Old.IsZero ? "0000000000000000000000000000000000000000" : e.Old)} {(e.New.IsZero ? "0000000000000000000000000000000000000000" : e.New)} {e.Who} {e.Why}");
        Console.Out.Flush();
    }
}
