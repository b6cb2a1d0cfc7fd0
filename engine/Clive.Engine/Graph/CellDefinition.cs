using System.Security.Cryptography;
using System.Text;
using Clive.Model;

namespace Clive.Engine.Graph;

/// <summary>
/// A cell as the engine keeps it once its script has run: the declaration frozen, with a digest of
/// everything that defines it. Cells are known by name, so editing one leaves every other digest alone.
/// </summary>
public sealed class CellDefinition
{
    // 2: cells run sandboxed (bubblewrap) and compute cells in the model host; results made unsandboxed are not reused.
    // 3: keys are hashed from named, length-framed fields (CellKey) and file sets frame their paths: every key changes once.
    // 4: values are clive values (objects as maps, enums and times as strings, indented value.json): a stored value of 3 would read differently.
    public const string EngineVersion = "clive-engine/4";

    public CellDefinition(Cell cell, string? functionSource)
    {
        Declaration = cell;
        Name = cell.Name;
        Kind = cell.Kind;
        Inputs = cell.Inputs;
        Text = Describe(cell, functionSource);
        Digest = SHA256.HashData(Encoding.UTF8.GetBytes(EngineVersion + "\n" + Text));
    }

    public Cell Declaration { get; }
    public string Name { get; }
    public CellKind Kind { get; }
    public IReadOnlyList<CellInput> Inputs { get; }

    /// <summary>The canonical text of the declaration: what <see cref="Digest"/> covers.</summary>
    public string Text { get; }

    public byte[] Digest { get; }

    public IEnumerable<string> CellDependencies => Inputs.OfType<CellOutputInput>().Select(i => i.Cell);

    public CommandCell? Command => Declaration as CommandCell;

    public ServiceCell? Service => Declaration as ServiceCell;

    private static string Describe(Cell cell, string? functionSource)
    {
        var text = new StringBuilder();
        text.Append("kind ").Append(cell.Kind).Append('\n');
        text.Append("name ").Append(cell.Name).Append('\n');
        if (cell.Period is { } period) text.Append("every ").Append(period.Ticks).Append('\n');
        foreach (var input in cell.Inputs)
        {
            text.Append(input switch
            {
                FilesInput f => "files " + string.Join(' ', f.Globs.Select(g => Quote(Resolve(f.Directory, g)))),
                CellOutputInput c => $"cell {Quote(c.Cell)} at {Quote(c.At)}",
                RefInput r => $"ref {Quote(r.Repo)} {Quote(r.Ref)} {Quote(r.Glob)} at {Quote(r.At)}",
                EntityInput e => $"entity {Quote(e.Entity)} at {Quote(e.At)}",
                _ => throw new InvalidOperationException("unknown input " + input),
            }).Append('\n');
        }
        if (cell is CommandCell command)
        {
            text.Append(command.UsesShell ? "shell " : "exec ").Append(string.Join(' ', command.CommandLine.Select(Quote))).Append('\n');
            foreach (var (name, value) in command.Environment) text.Append("env ").Append(Quote(name)).Append('=').Append(Quote(value)).Append('\n');
            foreach (var output in command.Outputs) text.Append("output ").Append(Quote(output)).Append('\n');
            if (command.Timeout is { } timeout) text.Append("timeout ").Append(timeout.Ticks).Append('\n');
            if (command.UsesNetwork) text.Append("network\n");
            // Where it may run is part of what it is (a linux-arm64 build is not a linux-x64 one), so
            // the labels are in the key; which fitting engine ran it is not. Absent when none are
            // given, so cells without .On keep their keys.
            if (command.Placement.Count > 0) text.Append("on ").Append(QuoteAll(command.Placement.Order(StringComparer.Ordinal))).Append('\n');
        }
        if (cell is ServiceCell service) text.Append("grace ").Append(service.GracePeriod.Ticks).Append('\n');
        if (cell is ComputeCell compute)
        {
            foreach (var entity in compute.Maintained) text.Append("maintains ").Append(Quote(entity)).Append('\n');
            if (compute.DeclaresEngines) text.Append("starts-engines\n");
        }
        if (functionSource is not null) text.Append("function ").Append(functionSource).Append('\n');
        return text.ToString();
    }

    /// <summary>A glob from the root, keeping its "!" in front.</summary>
    public static string Resolve(string directory, string glob)
        => glob.StartsWith('!') ? "!" + ModelPaths.Resolve(directory, glob[1..]) : ModelPaths.Resolve(directory, glob);

    /// <summary>Strings as JSON strings separated by spaces: a glob holding a space stays one glob.</summary>
    public static string QuoteAll(IEnumerable<string> values) => string.Join(' ', values.Select(Quote));

    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
