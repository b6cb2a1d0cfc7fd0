using System.Diagnostics;
using Clive.Core.Store.Engines;
using Clive.Store;
using Clive.Store.Cells;
using Clive.Store.Repos;

namespace Clive.Access;

/// <summary>
/// The engine verbs an identity may send to <c>clive serve --identity</c>: <c>engine-up &lt;repo&gt;
/// [--label L]… [--jobs N]</c> starts this host's engine for a repo (as `clive up --detach --repo`
/// would, as the host owner's engine on the store of the forced command), <c>engine-down
/// &lt;repo&gt;</c> stops it, <c>engines</c> lists the adverts. Both engine verbs need <c>run</c> on
/// the repo: an engine watching it evaluates exactly the models that holders of <c>run</c> push
/// there, so the right that lets one's models run is the right that lets one have them run at all.
/// A store has one engine: up for a repo the running engine already watches succeeds and says so;
/// an engine running for other repos is the owner's, and neither verb touches it.
/// Each reply's first word says what happened (started, running, stopped, not-running) for a program.
/// </summary>
public sealed class EngineVerbs(Principal principal, string? storeDirectory, Action<string> reply)
{
    public const string Up = "engine-up", Down = "engine-down", List = "engines";
    private const int MaxLabels = 32, MaxJobs = 1024;
    private static readonly TimeSpan StartWithin = TimeSpan.FromSeconds(90), StopWithin = TimeSpan.FromSeconds(60);

    private string Directory => StoreLocation.Resolve(storeDirectory);

    public int StartEngine(IReadOnlyList<string> arguments)
    {
        var (repo, labels, jobs) = ParseUp(arguments);
        DemandRun(repo);
        if (RunningFor(repo) is { } running)
        {
            reply($"running: the engine of {Environment.MachineName} already runs for '{repo}' (pid {running.Pid}; labels {string.Join(", ", running.Labels)})");
            return 0;
        }
        // Its owner's engine, for repos the caller may know nothing of: neither named nor touched.
        if (EngineLock.Probe(Directory).Running)
            throw new CliveException($"the engine of {Environment.MachineName} runs for other repos: a store has one engine, and that one is its owner's to change");
        var (exitCode, message) = Launch(repo, labels, jobs);
        // Another engine-up for this repo may have won the race to the store's engine lock: what was asked holds.
        if (RunningFor(repo) is { } advert)
        {
            reply(exitCode == 0
                ? $"started: an engine on {Environment.MachineName} for '{repo}' (pid {advert.Pid}; labels {string.Join(", ", advert.Labels)}; {advert.Jobs} jobs)"
                : $"running: the engine of {Environment.MachineName} already runs for '{repo}' (pid {advert.Pid}; labels {string.Join(", ", advert.Labels)})");
            return 0;
        }
        // Who holds run here may run code on this host anyway: the engine's own reason is theirs to read.
        throw new CliveException($"the engine for '{repo}' did not start on {Environment.MachineName}: {message}");
    }

    public int StopEngine(IReadOnlyList<string> arguments)
    {
        if (arguments.Count != 1 || arguments[0].StartsWith('-')) throw new UsageException($"usage: {Down} <repo>");
        var repo = CheckedRepo(arguments[0]);
        DemandRun(repo);
        var advert = EngineLock.Probe(Directory).Running
            ? LocalAdvert() ?? throw new CliveException($"the engine of {Environment.MachineName} is just starting: try again in a moment")
            : null;
        // None runs for it (none at all, or the owner's for other repos): what was asked holds.
        if (advert is null || !advert.AllRepos && !advert.Repos.Contains(repo))
        {
            reply($"not-running: no engine runs for '{repo}' on {Environment.MachineName}");
            return 0;
        }
        if (advert.AllRepos || advert.Repos.Count != 1)
            throw new CliveException($"the engine of {Environment.MachineName} runs for other repos too: it is its owner's to stop; not stopped");
        var outcome = EngineShutdown.Stop(Directory, StopWithin);
        reply(outcome.Pid is { } pid
            ? $"stopped: the engine for '{repo}' on {Environment.MachineName} (pid {pid}{(outcome.Killed ? ", killed after a clean stop timed out" : "")})"
            : $"not-running: no engine runs for '{repo}' on {Environment.MachineName}");
        return 0;
    }

    /// <summary>
    /// One line per engine advert: the owner sees all; an identity sees an engine with a repo it may
    /// read (only those repos shown), or all of them with read on the registry repo itself.
    /// </summary>
    public int ListEngines(IReadOnlyList<string> arguments)
    {
        if (arguments.Count != 0) throw new UsageException($"usage: {List}");
        using var store = CliveStore.Open(storeDirectory);
        bool seesAll = store.Access.HasAny(principal, Right.Read, EngineRegistry.Repo);
        foreach (var entry in EngineRegistry.List(store))
        {
            var repos = entry.Advert.AllRepos ? ["*"] : entry.Advert.Repos.Where(r => seesAll || store.Access.HasAny(principal, Right.Read, r)).ToList();
            if (!seesAll && !entry.Advert.AllRepos && repos.Count == 0) continue;
            reply($"{entry.Name} {(entry.Running ? "running" : "stopped")} labels={string.Join(",", entry.Advert.Labels)} jobs={entry.Advert.Jobs} repos={string.Join(",", repos)}");
        }
        return 0;
    }

    private static (string Repo, IReadOnlyList<string> Labels, int? Jobs) ParseUp(IReadOnlyList<string> arguments)
    {
        const string usage = $"usage: {Up} <repo> [--label L]... [--jobs N]";
        string? repo = null;
        var labels = new List<string>();
        int? jobs = null;
        for (int i = 0; i < arguments.Count; i++)
        {
            var word = arguments[i];
            if (word is "--label" or "--jobs")
            {
                if (i + 1 >= arguments.Count) throw new UsageException($"{word} needs a value; {usage}");
                var value = arguments[++i];
                if (word == "--label")
                {
                    if (labels.Count == MaxLabels) throw new UsageException($"at most {MaxLabels} labels");
                    labels.Add(EngineLabels.Check(value));
                }
                else
                {
                    if (jobs is not null) throw new UsageException($"--jobs given twice; {usage}");
                    jobs = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= MaxJobs
                        ? n : throw new UsageException($"--jobs must be a number from 1 to {MaxJobs}, not '{Printable.Of(value)}'");
                }
            }
            // Nothing else reaches `clive up`: no option but these two, so no --all, --tool or --store from a key holder.
            else if (word.StartsWith('-')) throw new UsageException($"unknown option '{Printable.Of(word)}'; {usage}");
            else if (repo is null) repo = CheckedRepo(word);
            else throw new UsageException($"one repo only; {usage}");
        }
        return (repo ?? throw new UsageException(usage), labels, jobs);
    }

    private static string CheckedRepo(string name)
    {
        var repo = RepoName.Normalize(name.TrimStart('/'));
        // The registry holds adverts, never a model: an engine has nothing to evaluate there.
        if (repo == EngineRegistry.Repo) throw new UsageException($"'{repo}' holds the engines' adverts, not models: no engine runs for it");
        return repo;
    }

    private void DemandRun(string repo)
    {
        using var store = CliveStore.Open(storeDirectory);
        store.Access.DemandAny(principal, Right.Run, repo);
    }

    /// <summary>This store's engine's advert when it runs now and watches <paramref name="repo"/>.</summary>
    private EngineAdvert? RunningFor(string repo)
        => EngineLock.Probe(Directory).Running && LocalAdvert() is { } advert && (advert.AllRepos || advert.Repos.Contains(repo)) ? advert : null;

    private EngineAdvert? LocalAdvert()
    {
        using var store = CliveStore.Open(storeDirectory);
        return EngineRegistry.List(store).FirstOrDefault(e => e.Name == EngineRegistry.LocalName && e.Running)?.Advert;
    }

    /// <summary>
    /// Runs `clive up --detach` (this very executable), which returns once the engine advertises
    /// itself or fails with its log's last lines. Its output is not the caller's protocol: captured.
    /// </summary>
    private (int ExitCode, string Message) Launch(string repo, IReadOnlyList<string> labels, int? jobs)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? throw new CliveException("cannot tell which clive runs this"))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (storeDirectory is not null) { info.ArgumentList.Add("--store"); info.ArgumentList.Add(storeDirectory); }
        foreach (var word in new[] { "up", "--detach", "--repo", repo }) info.ArgumentList.Add(word);
        foreach (var label in labels) { info.ArgumentList.Add("--label"); info.ArgumentList.Add(label); }
        if (jobs is { } n) { info.ArgumentList.Add("--jobs"); info.ArgumentList.Add(n.ToString(System.Globalization.CultureInfo.InvariantCulture)); }
        using var child = Process.Start(info) ?? throw new CliveException("could not start clive up");
        child.StandardInput.Close();
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(StartWithin))
        {
            child.Kill(entireProcessTree: true);
            return (-1, $"clive up --detach did not return within {StartWithin.TotalSeconds:0} s");
        }
        var message = string.Join(" / ", (stderr.Result + stdout.Result).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return (child.ExitCode, message);
    }
}
