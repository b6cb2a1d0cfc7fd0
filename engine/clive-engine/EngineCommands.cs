using System.CommandLine;
using System.Runtime.InteropServices;
using Clive.CommandLine;
using Clive.Engine;
using Clive.Engine.Execution;
using Clive.Store;

namespace Clive.EngineHost;

/// <summary>
/// `clive up` and `clive run`: `clive` (compiled ahead of time) hands these two to this executable,
/// which has the JIT that compiling and loading models needs. Same arguments, same errors.
/// </summary>
internal static class EngineCommands
{
    public static int Run(string[] args)
    {
        // Named "clive", not after this executable: users type `clive up`, and help and errors say so.
        var root = new Command("clive", "clive's engine: `clive up` and `clive run`.")
        {
            GlobalOptions.Store, new System.CommandLine.Help.HelpOption(), Up(), RunCell(),
        };
        return CommandLineHost.Run(root, args);
    }

    private static Command Up()
    {
        var repos = new Option<string[]>("--repo") { Description = "Watch only this repo (repeatable; default: every repo, also new ones)" };
        var branches = new Option<string[]>("--branch") { Description = "Watch branches matching this pattern, e.g. 'release/*' (repeatable; default: each repo's HEAD branch)" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Cells run at once", DefaultValueFactory = _ => Environment.ProcessorCount };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing but errors" };
        var command = new Command("up", "Run the engine: follow ref changes and run the cells of each watched ref's clive.csx whose inputs changed, until Ctrl-C")
        {
            repos, branches, jobs, quiet,
        };
        command.SetAction((result, cancel) =>
        {
            if (result.GetValue(jobs) < 1) throw new CliveException("--jobs must be at least 1");
            using var store = new EngineStore(GlobalOptions.OpenOrCreateStore(result));
            using var engineLock = LockEngine(store.Store.Directory);
            var options = new EngineOptions
            {
                Repos = result.GetValue(repos) ?? [],
                Branches = result.GetValue(branches) ?? [],
                Jobs = result.GetValue(jobs),
                Log = result.GetValue(quiet) ? TextWriter.Null : Console.Error,
            };
            using var stop = StopOnSignals(cancel);
            var engine = new ReactiveEngine(store, options);
            try
            {
                engine.RunAsync(stop.Token).GetAwaiter().GetResult();
            }
            finally
            {
                engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            return Task.FromResult(0);
        });
        return command;
    }

    private static Command RunCell()
    {
        var cell = new Argument<string>("cell") { Description = "The cell's full name, e.g. app/build" };
        var repo = new Option<string?>("--repo") { Description = "The repo (default: the only one in the store)" };
        var branch = new Option<string?>("--branch") { Description = "The branch whose model and files to use (default: the repo's HEAD branch)" };
        var command = new Command("run", "Run one cell now, even if its result is cached; what it reads is brought up to date first. Its output is shown as it runs")
        {
            cell, repo, branch,
        };
        command.SetAction((result, cancel) =>
        {
            using var store = new EngineStore(GlobalOptions.OpenStore(result));
            var repoName = result.GetValue(repo) ?? OnlyRepo(store.Store);
            long repoId = store.Store.Repos.GetId(repoName);
            var refName = result.GetValue(branch) is { } b ? (b.StartsWith("refs/", StringComparison.Ordinal) ? b : "refs/heads/" + b)
                : store.Store.Refs.SymbolicTarget(repoId, "HEAD") ?? "refs/heads/main";
            using var stop = StopOnSignals(cancel);
            var engine = new ReactiveEngine(store, new EngineOptions { Log = Console.Error, Jobs = Environment.ProcessorCount }) { Echo = Console.Out };
            try
            {
                var outcome = engine.RunOnceAsync(repoName, refName, result.GetValue(cell)!, stop.Token).GetAwaiter().GetResult();
                if (outcome is null) throw new CliveException($"{result.GetValue(cell)} did not run: a cell it reads failed or it was interrupted (see clive status)");
                return Task.FromResult(outcome.Succeeded ? 0 : 1);
            }
            finally
            {
                engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });
        return command;
    }

    private static string OnlyRepo(CliveStore store)
    {
        var repos = store.Repos.List();
        return repos.Count == 1 ? repos[0].Name
            : throw new CliveException(repos.Count == 0 ? "the store has no repos" : $"the store has {repos.Count} repos; say which with --repo");
    }

    /// <summary>One engine per store: a second would run every cell twice.</summary>
    private static FileStream LockEngine(string directory)
    {
        var path = Path.Combine(directory, "engine.lock");
        try
        {
            // On Unix, FileShare.None takes an advisory flock: released when the process dies, however it dies.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new CliveException($"an engine is already running on the store {directory}");
        }
    }

    /// <summary>Ctrl-C and SIGTERM stop the engine gracefully (services get their SIGTERM too).</summary>
    private static CancellationTokenSource StopOnSignals(CancellationToken cancel)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
        PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        return stop;
    }
}
