using System.CommandLine;
using System.Runtime.InteropServices;
using Clive.CommandLine;
using Clive.Engine;
using Clive.Engine.Execution;
using Clive.Engine.Results;
using Clive.Engine.Sandboxing;
using Clive.Store;
using Clive.Store.Cells;

namespace Clive.EngineHost;

/// <summary>
/// `clive up` and `clive run`: `clive` (compiled ahead of time) hands these two to this executable,
/// which has the JIT that compiling and loading models needs. Same arguments, same errors. And
/// `clive serve --identity` for an engine session (<see cref="EngineSessionCommand"/>).
/// </summary>
internal static class EngineCommands
{
    public static int Run(string[] args)
    {
        _arguments = args;
        // Named "clive", not after this executable: users type `clive up`, and help and errors say so.
        var root = new Command("clive", "clive's engine: `clive up` and `clive run`.")
        {
            GlobalOptions.Store, new System.CommandLine.Help.HelpOption(), Up(), RunCell(), EngineSessionCommand.Create(),
        };
        return CommandLineHost.Run(root, args);
    }

    /// <summary>The command line as given: `clive up --detach` starts the same one in the background.</summary>
    private static string[] _arguments = [];

    private static Command Up()
    {
        var repos = new Option<string[]>("--repo") { Description = "Watch this repo (repeatable): run the models pushed to it" };
        var all = new Option<bool>("--all") { Description = "Watch every repo of the store, also those created later" };
        var branches = new Option<string[]>("--branch") { Description = "Watch branches matching this pattern, e.g. 'release/*' (repeatable; default: each repo's HEAD branch)" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Cells run at once", DefaultValueFactory = _ => Environment.ProcessorCount };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors" };
        var tools = new Option<string[]>("--tool") { Description = "A path every cell may read besides the system's programs (repeatable; e.g. /opt/toolchain)" };
        var labels = new Option<string[]>("--label") { Description = "Advertise this label (repeatable; e.g. big-memory, docker); the os-arch (linux-x64) is always advertised" };
        var remotes = new Option<string[]>("--remote")
        {
            Description = "Hand cells to the engine of another host: [user@]host[:port][/repo] (repeatable; repo defaults to each watched repo). "
                + "Cells with .On(labels) run there when its labels fit; other command cells reuse its signed results (trust its key first: clive trust add)",
        };
        var reapi = new Option<string?>("--reapi")
        {
            Description = "Run command cells as Remote Execution API actions on this farm: grpc://host:port or grpcs://host:port (Buildbarn, BuildBuddy, "
                + "NativeLink, Bazel's worker); a farm that fails runs the cell here",
        };
        var reapiInstance = new Option<string>("--reapi-instance") { Description = "The farm's instance name", DefaultValueFactory = _ => "" };
        var reapiHeaders = new Option<string[]>("--reapi-header") { Description = "A header sent with every farm call, name=value (repeatable; e.g. authorization=Bearer …)" };
        var reapiLabels = new Option<string[]>("--reapi-label")
        {
            Description = "Send only cells whose .On(labels) are all among these (repeatable; default: every command cell without network)",
        };
        var reapiJobs = new Option<int>("--reapi-jobs") { Description = "Actions on the farm at once", DefaultValueFactory = _ => 64 };
        var detach = new Option<bool>(DetachedStart.Flag) { Description = "Run in the background (its own session, log in <store>/logs/engine.log); return once it runs. `clive down` stops it" };
        var command = new Command("up", "Run the engine: follow ref changes and run the cells of each watched ref's clive.csx whose inputs changed, until Ctrl-C (or `clive down`)")
        {
            repos, all, branches, jobs, quiet, tools, labels, remotes, reapi, reapiInstance, reapiHeaders, reapiLabels, reapiJobs, detach,
        };
        command.SetAction((result, cancel) =>
        {
            if (result.GetValue(jobs) < 1) throw new CliveException("--jobs must be at least 1");
            // Watching a repo runs the code pushed to it: which repos is the owner's explicit choice, never a default.
            var watched = result.GetValue(repos) ?? [];
            if (watched.Length == 0 && !result.GetValue(all)) throw new UsageException("say which repos to watch: --repo NAME (repeatable) or --all");
            if (watched.Length > 0 && result.GetValue(all)) throw new UsageException("--repo and --all do not go together");
            var advertised = Clive.Core.Store.Engines.EngineLabels.WithPlatform(result.GetValue(labels) ?? []);
            var declared = RemoteOption.Parse(result.GetValue(remotes) ?? [], watched);
            if (result.GetValue(reapiJobs) < 1) throw new UsageException("--reapi-jobs must be at least 1");
            var farm = result.GetValue(reapi) is { } endpoint
                ? new Clive.Engine.Remote.Reapi.ReapiSettings(Clive.Reapi.ReapiEndpoint.Parse(endpoint, result.GetValue(reapiInstance) ?? "", result.GetValue(reapiHeaders) ?? []),
                    result.GetValue(reapiLabels) ?? [], result.GetValue(reapiJobs))
                : null;
            using var store = new EngineStore(GlobalOptions.OpenOrCreateStore(result));
            if (result.GetValue(detach))
            {
                Sandbox.EnsureAvailable();
                Sandbox.ValidateTools(result.GetValue(tools) ?? [], store.Store.Directory);
                return Task.FromResult(DetachedStart.Run(store.Store, _arguments));
            }
            // One engine per store: a second would run every cell twice.
            using var engineLock = EngineLock.Acquire(store.Store.Directory);
            Sandbox.EnsureAvailable();
            var options = new EngineOptions
            {
                Repos = watched.Select(Clive.Store.Repos.RepoName.Normalize).ToList(),
                AllRepos = result.GetValue(all),
                Tools = Sandbox.ValidateTools(result.GetValue(tools) ?? [], store.Store.Directory),
                Branches = result.GetValue(branches) ?? [],
                Jobs = result.GetValue(jobs),
                Labels = advertised,
                Log = result.GetValue(quiet) ? TextWriter.Null : Console.Error,
                ManagesRemoteEngines = true,
                Reapi = farm,
            };
            using var stop = StopOnSignals(cancel);
            var engine = new ReactiveEngine(store, options);
            engine.RemoteEngines.Declare(RemoteOption.Source, declared);
            using var presence = EnginePresence.Start(store, engineLock, options, advertised);
            try
            {
                engine.RunAsync(stop.Token).GetAwaiter().GetResult();
            }
            finally
            {
                engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            // Only now is every service stopped and its state recorded: `clive status` may say the engine stopped.
            engineLock.MarkStopped();
            presence.MarkStopped();
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command RunCell()
    {
        var cell = new Argument<string>("cell") { Description = "The cell's name (full, or its last part when that is unique), e.g. app/build" };
        var repo = new Option<string?>("--repo") { Description = "The repo, when several have this cell (default: the one whose model has it)" };
        var branch = new Option<string?>("--branch") { Description = "The branch whose model and files to use (default: the one whose model has it, else the repo's HEAD branch)" };
        var command = new Command("run", "Run one cell now, even if its result is cached; what it reads is brought up to date first. Its output is shown as it runs, a computed value at the end")
        {
            cell, repo, branch,
        };
        command.SetAction((result, cancel) =>
        {
            using var store = new EngineStore(GlobalOptions.OpenStore(result));
            var refName = result.GetValue(branch) is { } b ? Clive.Store.Refs.ShortRefName.Branch(b) : null;
            var target = RunTarget.Find(store.Store, result.GetValue(cell)!, result.GetValue(repo), refName);
            // It runs cells as `clive up` does: never beside another engine (the refusal names it).
            using var engineLock = EngineLock.Acquire(store.Store.Directory);
            Sandbox.EnsureAvailable();
            using var stop = StopOnSignals(cancel);
            var engine = new ReactiveEngine(store, new EngineOptions { Log = Console.Error, Jobs = Environment.ProcessorCount }) { Echo = Console.Out };
            try
            {
                var outcome = engine.RunOnceAsync(target.Repo, target.Ref, target.Cell, stop.Token).GetAwaiter().GetResult();
                if (outcome is null) throw new CliveException($"{target.Cell} did not run: a cell it reads failed or it was interrupted (see clive status)");
                // A compute cell prints nothing as it runs: what it computed is its output.
                if (outcome.Value is { } value) Console.Out.Write(Clive.Core.Values.ValueJson.FromMessagePack(value));
                return Task.FromResult(outcome.Succeeded ? 0 : 1);
            }
            finally
            {
                engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
                // Whatever it started is stopped now: `clive status` may say so.
                engineLock.MarkStopped();
            }
        });
        return command;
    }

    /// <summary>Ctrl-C and SIGTERM stop the engine gracefully (services get their SIGTERM too), until disposed.</summary>
    private static SignalStop StopOnSignals(CancellationToken cancel) => new(cancel);

    /// <summary>
    /// The registrations must live as long as the engine: a PosixSignalRegistration that is collected
    /// unregisters itself, and the next SIGTERM then kills the process (exit 143) with services left running.
    /// </summary>
    private sealed class SignalStop : IDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly PosixSignalRegistration[] _registrations;

        public SignalStop(CancellationToken cancel)
        {
            _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle), PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle)];
        }

        public CancellationToken Token => _stop.Token;

        private void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            _stop.Cancel();
        }

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
            _stop.Dispose();
        }
    }
}
