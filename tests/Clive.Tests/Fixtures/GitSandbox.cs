using Clive.Store;

namespace Clive.Tests.Fixtures;

/// <summary>
/// A temporary world for one test: a clive store, a HOME with no user config, and the real
/// <c>git</c>, <c>clive</c> and <c>git-remote-clive</c> (built next to the tests) on PATH.
/// </summary>
public sealed class GitSandbox : IDisposable
{
    public GitSandbox()
    {
        Root = Directory.CreateTempSubdirectory("clive-test-").FullName;
        StoreDirectory = Path.Combine(Root, "store");
        Home = Path.Combine(Root, "home");
        Directory.CreateDirectory(Home);
        Environment = new Dictionary<string, string>
        {
            ["PATH"] = Binaries.Directory + ":" + System.Environment.GetEnvironmentVariable("PATH"),
            ["HOME"] = Home,
            ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
            [StoreLocation.EnvironmentVariable] = StoreDirectory,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_AUTHOR_NAME"] = "Ada Author",
            ["GIT_AUTHOR_EMAIL"] = "ada@example.com",
            ["GIT_COMMITTER_NAME"] = "Ada Author",
            ["GIT_COMMITTER_EMAIL"] = "ada@example.com",
            ["GIT_CONFIG_COUNT"] = "2",
            ["GIT_CONFIG_KEY_0"] = "init.defaultBranch",
            ["GIT_CONFIG_VALUE_0"] = "main",
            ["GIT_CONFIG_KEY_1"] = "advice.detachedHead",
            ["GIT_CONFIG_VALUE_1"] = "false",
        };
    }

    public string Root { get; }
    public string StoreDirectory { get; }
    public string Home { get; }
    public Dictionary<string, string> Environment { get; }

    public static string Url(string repo) => "clive::local/" + repo;

    public string PathOf(string name) => Path.Combine(Root, name);

    public ProcessResult Git(string directory, params string[] args)
        => ProcessRunner.Run("git", args, Path.Combine(Root, directory), Environment);

    public ProcessResult GitOk(string directory, params string[] args) => Git(directory, args).EnsureSuccess("git " + string.Join(' ', args));

    public ProcessResult Clive(params string[] args)
        => ProcessRunner.Run(Binaries.Clive, args, Root, Environment);

    public ProcessResult CliveFs(params string[] args)
        => ProcessRunner.Run(Binaries.CliveFs, args, Root, Environment);

    public string RevParse(string directory, string rev) => GitOk(directory, "rev-parse", rev).Stdout.Trim();

    /// <summary>A new working repo with one commit per file given.</summary>
    public string NewRepo(string name, params (string Path, string Content)[] commits)
    {
        Directory.CreateDirectory(PathOf(name));
        GitOk(name, "init", "-q");
        foreach (var (path, content) in commits) Commit(name, path, content);
        return name;
    }

    public void Commit(string repo, string path, string content, string? message = null)
    {
        var full = Path.Combine(Root, repo, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        GitOk(repo, "add", "--", path);
        GitOk(repo, "commit", "-q", "-m", message ?? $"change {path}");
    }

    /// <summary>
    /// Fetches a repo's refs/clive/* into working repository <paramref name="work"/> and shows
    /// <paramref name="rev"/> there; "" while it does not exist yet (a cell not published yet), so a poll can wait for it.
    /// </summary>
    public string ShowFetched(string work, string repo, string rev)
    {
        GitOk(work, "fetch", "-q", "-f", Url(repo), "refs/clive/*:refs/clive/*");
        var shown = Git(work, "show", rev);
        return shown.ExitCode == 0 ? shown.Stdout : "";
    }

    /// <summary>A ref of a repo as the store holds it now ("" when absent).</summary>
    public string StoreRef(string repo = "demo", string refName = "refs/heads/main")
    {
        using var store = OpenStore();
        return store.Refs.Get(store.Repos.GetId(repo), refName)?.ToString() ?? "";
    }

    /// <summary>Opens the store directly, to check what it holds.</summary>
    public CliveStore OpenStore() => CliveStore.Open(StoreDirectory);

    /// <summary>Refs and reflog as text: a snapshot to show that a failed operation changed nothing.</summary>
    public string StoreSnapshot()
    {
        if (!File.Exists(Path.Combine(StoreDirectory, StoreLocation.DatabaseFileName))) return "(no store)";
        using var store = OpenStore();
        var lines = new List<string>();
        foreach (var repo in store.Repos.List())
        {
            lines.Add("repo " + repo.Name);
            foreach (var r in store.Refs.List(store.Repos.GetId(repo.Name)))
                lines.Add($"  {r.Name} {r.Target} {r.SymbolicTarget}");
        }
        lines.Add("events " + store.Events.Latest());
        lines.Add("objects " + store.Objects.Count());
        return string.Join('\n', lines);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
