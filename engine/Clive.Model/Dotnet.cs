using System.Runtime.CompilerServices;

namespace Clive.Model;

/// <summary>A .NET project as a module of cells: its build, and each artifact asked for.</summary>
public static class Dotnet
{
    /// <summary>
    /// Declares <c>&lt;name&gt;.build</c> for the project at <paramref name="project"/> (a .csproj, relative to
    /// this file's directory). Its inputs are the project's directory, the directories of the projects
    /// it <see cref="DotnetProject.DependsOn"/>, and the repo-wide build settings (Directory.*.props, global.json, NuGet.config).
    /// </summary>
    public static DotnetProject Project(string name, string project, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => new(name, project, file, line);
}

public sealed class DotnetProject
{
    private readonly string _file;
    private readonly int _line;
    private readonly List<DotnetProject> _dependencies = [];
    private readonly SortedDictionary<string, string> _properties = new(StringComparer.Ordinal);
    private readonly List<(CommandCell Cell, Func<string> Command)> _cells = [];

    internal DotnetProject(string name, string project, string file, int line)
    {
        _file = file;
        _line = line;
        Name = name;
        var directory = ModelPaths.DirectoryOf(file);
        ProjectPath = ModelPaths.Resolve(directory, project);
        ProjectDirectory = ModelPaths.DirectoryOf("/" + ProjectPath);
        RelativeProject = RelativeTo(directory, ProjectPath);
        Build = Add(Name + ".build", () =>
            $"dotnet build {Quote(RelativeProject)} -c {ConfigurationName} -p:OutDir=\"${CellEnvironment.OutputDirectory}/\"{PropertyArguments} {Common}");
    }

    public string Name { get; }

    /// <summary>The project file, from the root of the tree.</summary>
    public string ProjectPath { get; }

    public string ProjectDirectory { get; }

    public string ConfigurationName { get; private set; } = "Release";

    /// <summary>The compiled project (<c>dotnet build</c>), its output directory as the cell's tree.</summary>
    public CommandCell Build { get; }

    /// <summary>Projects this one references: their sources become inputs of every cell of this one.</summary>
    public DotnetProject DependsOn(params DotnetProject[] projects)
    {
        foreach (var project in projects)
        {
            _dependencies.Add(project);
            foreach (var (cell, _) in _cells) AddSources(cell, project);
        }
        return this;
    }

    public DotnetProject Configuration(string configuration)
    {
        ConfigurationName = configuration;
        Refresh();
        return this;
    }

    /// <summary>An MSBuild property for every build of this project (-p:Name=Value).</summary>
    public DotnetProject Property(string name, string value)
    {
        _properties[name] = value;
        Refresh();
        return this;
    }

    /// <summary><c>&lt;name&gt;.publish-&lt;runtime&gt;</c>: <c>dotnet publish</c> for one runtime identifier.</summary>
    public CommandCell Publish(string runtime, bool selfContained = false)
        => Add($"{Name}.publish-{runtime}", () =>
            $"dotnet publish {Quote(RelativeProject)} -c {ConfigurationName} -r {runtime} --self-contained {(selfContained ? "true" : "false")} -o \"${CellEnvironment.OutputDirectory}\"{PropertyArguments} {Common}");

    /// <summary><c>&lt;name&gt;.tarball-&lt;runtime&gt;</c>: the published files as one reproducible .tar.gz.</summary>
    public CommandCell Tarball(string runtime, bool selfContained = false)
    {
        var publish = Publish(runtime, selfContained);
        var archive = $"{Name}-{runtime}.tar.gz";
        // Sorted names, no owners and a fixed time: the same files always give the same bytes.
        var cell = new CommandCell($"{Name}.tarball-{runtime}", CellKind.Command, _file, _line)
            .From(publish, "publish")
            .Run($"tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C publish -cf - . | gzip -n > \"${CellEnvironment.OutputDirectory}/{archive}\"");
        return cell;
    }

    /// <summary><c>&lt;name&gt;.test</c>: <c>dotnet test</c> on this project; fails when a test fails.</summary>
    public CommandCell Test()
        => Add(Name + ".test", () => $"dotnet test {Quote(RelativeProject)} -c {ConfigurationName}{PropertyArguments} {Common}");

    private CommandCell Add(string name, Func<string> command)
    {
        var cell = new CommandCell(name, CellKind.Command, _file, _line);
        var sources = new List<string> { "/" + Join(ProjectDirectory, "**"), "!/" + Join(ProjectDirectory, "bin/**"), "!/" + Join(ProjectDirectory, "obj/**") };
        // Repo-wide settings that change every build under them.
        foreach (var dir in Ancestors(ProjectDirectory))
            foreach (var settings in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config", "nuget.config" })
                sources.Add("/" + Join(dir, settings));
        cell.Files([.. sources]);
        foreach (var dependency in _dependencies) AddSources(cell, dependency);
        // A build leaves no server behind, so the command's processes are all done when it exits.
        cell.Env("DOTNET_CLI_TELEMETRY_OPTOUT", "1").Env("DOTNET_NOLOGO", "1").Env("MSBUILDDISABLENODEREUSE", "1").Env("DOTNET_CLI_USE_MSBUILD_SERVER", "0");
        cell.Run(command());
        _cells.Add((cell, command));
        return cell;
    }

    private static void AddSources(CommandCell cell, DotnetProject project)
        => cell.Files("/" + Join(project.ProjectDirectory, "**"), "!/" + Join(project.ProjectDirectory, "bin/**"), "!/" + Join(project.ProjectDirectory, "obj/**"));

    private void Refresh()
    {
        foreach (var (cell, command) in _cells) cell.Run(command());
    }

    private string RelativeProject { get; }

    private string PropertyArguments => string.Concat(_properties.Select(p => $" -p:{p.Key}={Quote(p.Value)}"));

    // No PDBs: they hold source checksums, so a comment change would change the output and wake every dependent.
    private const string Common = "-p:DebugType=none -p:Deterministic=true -nodeReuse:false --nologo";

    private static IEnumerable<string> Ancestors(string directory)
    {
        yield return "";
        var parts = directory.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 1; i <= parts.Length; i++) yield return string.Join('/', parts.Take(i));
    }

    private static string Join(string directory, string path) => directory.Length == 0 ? path : directory + "/" + path;

    private static string RelativeTo(string directory, string path)
    {
        if (directory.Length == 0) return path;
        var from = directory.Split('/');
        var to = path.Split('/');
        int common = 0;
        while (common < from.Length && common < to.Length - 1 && from[common] == to[common]) common++;
        return string.Join('/', Enumerable.Repeat("..", from.Length - common).Concat(to.Skip(common)));
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
