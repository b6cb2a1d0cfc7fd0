using Clive.Protocol;
using Clive.Store;

namespace Clive.Access;

/// <summary>
/// One SSH session of an identity, run by the forced command <c>clive serve --identity NAME --key
/// FINGERPRINT</c>: git's services for fetch and push, the rights commands an identity may
/// use on this host, the engine verbs (<see cref="EngineVerbs"/>) and engine sessions (cells dispatched here). Anything else is refused.
/// Replies of the rights commands go to <paramref name="output"/>; <paramref name="messages"/>
/// (stderr) is for the user's terminal.
/// </summary>
public sealed class ServeSession(Principal principal, string keyFingerprint, string? storeDirectory, Stream input, Stream output, TextWriter messages)
{
    /// <summary>
    /// Serves an engine session (identity, repo, input, output): the engine's executable does,
    /// which has the JIT its messages need; `clive`, compiled ahead of time, hands the session to it.
    /// </summary>
    public Func<Principal, string, Stream, Stream, int>? EngineSessions { get; init; }

    public int Run(string? originalCommand)
    {
        // First of all: the key sshd admitted must still be this identity's (see AccessControl.DemandKey).
        using (var store = CliveStore.Open(storeDirectory, create: false)) store.Access.DemandKey(principal.Name, keyFingerprint);
        if (string.IsNullOrWhiteSpace(originalCommand))
        {
            messages.WriteLine($"Hi {principal}! This key gives access to clive (git over clive::<host>/<repo>), not a shell.");
            return 1;
        }
        var request = ServeRequest.Parse(originalCommand);
        switch (request.Verb)
        {
            case GitService.UploadPack or GitService.ReceivePack:
                if (request.Arguments.Count != 1) throw new UsageException($"usage: {request.Verb} <repo>");
                // Plain git over ssh sends a path ('/demo'); clive's helper sends the bare name.
                return GitService.Serve(request.Verb, request.Arguments[0].TrimStart('/'), input, output, storeDirectory, principal);
            case "grant" or "revoke":
            {
                if (request.Arguments.Count != 3) throw new UsageException($"usage: {request.Verb} <identity> read|write|force|admin|run <repo>[:<ref-pattern>]");
                using var store = CliveStore.Open(storeDirectory);
                var (identity, right, scope) = (request.Arguments[0], Rights.Parse(request.Arguments[1]), Scope.Parse(request.Arguments[2]));
                if (request.Verb == "grant") store.Access.Grant(principal, identity, right, scope);
                else store.Access.Revoke(principal, identity, right, scope);
                Reply(request.Verb == "grant" ? $"granted {right.Name()} on {scope} to {identity}" : $"revoked {right.Name()} on {scope} from {identity}");
                return 0;
            }
            case "trust" or "distrust":
            {
                // Who may vouch for results in a repo is an admin's decision there, as who may write to it.
                int expected = request.Verb == "trust" ? 3 : 2;
                if (request.Arguments.Count != expected)
                    throw new UsageException(request.Verb == "trust" ? "usage: trust <host> '<public key>' <repos>" : "usage: distrust <host> <repos>");
                using var store = CliveStore.Open(storeDirectory);
                if (request.Verb == "trust")
                {
                    var row = store.Trust.Trust(principal, request.Arguments[0], request.Arguments[1], request.Arguments[2]);
                    Reply($"trusting {row.Host} ({row.Key.Fingerprint}) for {row.Repos}");
                }
                else
                {
                    store.Trust.Distrust(principal, request.Arguments[0], request.Arguments[1]);
                    Reply($"no longer trusting {request.Arguments[0]} for {request.Arguments[1]}");
                }
                return 0;
            }
            case "engine-session":
                // Another host's engine hands cells to this store's engine (run right checked inside, per job).
                if (request.Arguments.Count != 1) throw new UsageException("usage: engine-session <repo>");
                return EngineSessions?.Invoke(principal, request.Arguments[0].TrimStart('/'), input, output)
                    ?? throw new CliveException("this host's clive cannot serve engine sessions");
            case "grants":
            {
                using var store = CliveStore.Open(storeDirectory);
                foreach (var g in store.Access.Grants().Where(g => principal.IsOwner || g.Identity == principal.Name || g.GrantedBy == principal.Name))
                    Reply($"{g.Identity} {g.Right.Name()} {g.Scope}");
                return 0;
            }
            case EngineVerbs.Up:
                return new EngineVerbs(principal, storeDirectory, Reply).StartEngine(request.Arguments);
            case EngineVerbs.Down:
                return new EngineVerbs(principal, storeDirectory, Reply).StopEngine(request.Arguments);
            case EngineVerbs.List:
                return new EngineVerbs(principal, storeDirectory, Reply).ListEngines(request.Arguments);
            default:
                throw new UsageException($"'{request.Verb}' is not something this key may run (git fetch/push, grant, revoke, grants, trust, distrust, engine-up, engine-down, engines, engine-session)");
        }
    }

    private void Reply(string line)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        output.Write(bytes);
        output.Flush();
    }
}
