using System.Text;
using Build.Bazel.Remote.Execution.V2;
using Clive.Engine.Execution;
using Clive.Engine.Graph;
using Clive.Engine.Sandboxing;
using Clive.Reapi;
using Google.Protobuf;

namespace Clive.Engine.Remote.Reapi;

/// <summary>
/// A command cell as a REAPI action. The input root holds the cell's tree under <c>tree/</c>; the
/// command runs from the root through a small <c>sh</c> wrapper that gives it what a local run gives
/// it: <c>$CLIVE_OUT</c> (<c>out/</c>, an output directory) and the cell's directory as its working
/// directory. A cell with output globs also gets its directory copied to <c>after/</c> once it
/// succeeded, where the engine picks the files the globs match, as it does locally. Paths outside
/// the tree are the farm's: a command that prints its absolute working directory sees another one.
/// </summary>
internal static class ReapiAction
{
    public const string TreeDirectory = "tree";
    public const string OutputDirectory = "out";
    public const string AfterDirectory = "after";

    // $1 is the cell's directory in its tree, the rest is the command. Not exec: the copy to after/ follows it.
    private const string Wrapper = "root=$PWD; mkdir -p out || exit 125; CLIVE_OUT=$root/out; export CLIVE_OUT; "
        + "cd \"tree/$1\" || exit 125; shift; \"$@\"; status=$?; "
        + "if [ $status -eq 0 ] && [ -n \"$CLIVE_COPY_AFTER\" ]; then mkdir -p \"$root/after\" && cp -pPR . \"$root/after/\" || exit 125; fi; exit $status";

    public sealed record Built(Digest Action, Build.Bazel.Remote.Execution.V2.Action Message, Command Command, InputRoot Root);

    public static Built Build(RunRequest request, InputRootBuilder roots)
    {
        var cell = request.Cell;
        var command = cell.Command!;
        var root = roots.Build(request.Layout.Files.Select(f => new InputFile(TreeDirectory + "/" + f.Path, f.Mode, f.Id)));
        var message = new Command();
        message.Arguments.AddRange(["/bin/sh", "-c", Wrapper, "clive-cell", cell.Declaration.Directory, .. ProcessGroup.CommandOf(command.CommandLine, command.UsesShell)]);
        var environment = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in Sandbox.CleanEnvironment) environment[name] = value;
        foreach (var (name, value) in command.Environment) environment[name] = value;
        environment[Clive.Model.CellEnvironment.CellName] = cell.Name;
        environment.Remove(Clive.Model.CellEnvironment.OutputDirectory);
        if (command.Outputs.Count > 0) environment["CLIVE_COPY_AFTER"] = "1";
        else environment.Remove("CLIVE_COPY_AFTER");
        foreach (var (name, value) in environment) message.EnvironmentVariables.Add(new Command.Types.EnvironmentVariable { Name = name, Value = value });
        // Both spellings: servers before v2.1 (the reference worker) read output_directories, later ones output_paths.
        var outputs = command.Outputs.Count > 0 ? new[] { AfterDirectory, OutputDirectory } : [OutputDirectory];
        message.OutputDirectories.AddRange(outputs);
        message.OutputPaths.AddRange(outputs);
        var action = new Build.Bazel.Remote.Execution.V2.Action
        {
            CommandDigest = Digests.Of(message),
            InputRootDigest = root.Digest,
            // Another engine version may collect outputs differently: its actions are other actions.
            Salt = ByteString.CopyFrom(Encoding.UTF8.GetBytes(CellDefinition.EngineVersion)),
        };
        if (command.Timeout is { } timeout) action.Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(timeout);
        return new Built(Digests.Of(action), action, message, root);
    }
}
