using System.Text.Json;
using Clive.Engine.Graph;
using Clive.Engine.Sandboxing;
using Clive.Model;
using Clive.Store.Cells;

namespace Clive.Engine.Remote;

/// <summary>
/// The engines a cell wants (<c>.StartsEngines()</c>): its value, a list of <c>Engines.Want(…)</c>,
/// read from the stored value (so a cached result declares as a fresh one does) and checked as the
/// model's own <c>Engines.On</c> are. Each such cell is a source of its own for the starter,
/// "<c>&lt;repo&gt;@&lt;branch&gt;:&lt;cell&gt;</c>", so its declarations come and go apart from the model's.
/// </summary>
internal static class CellWantedEngines
{
    /// <summary>The starter's source for a cell of a pipeline: the pipeline's own, a colon, the cell (branch names hold no colon).</summary>
    public static string Source(string pipeline, string cell) => $"{pipeline}:{cell}";

    /// <summary>The pipeline a source belongs to: itself, or what comes before the cell's colon.</summary>
    public static string PipelineOf(string source) => source.Split(':', 2)[0];

    /// <summary>
    /// The engines the cell's result wants; null when it says nothing (a failed run: what it wanted
    /// before stays wanted, a failure is no wish to stop engines). Throws <see cref="ModelException"/>
    /// naming the cell's file and line when the value is not a list of engine requests.
    /// </summary>
    public static IReadOnlyList<WantedEngine>? Of(CellDefinition cell, CellResult result)
    {
        if (!result.Succeeded) return null;
        var declaration = cell.Declaration;
        string where = $"{declaration.DeclaredIn}({declaration.Line}): cell {cell.Name}";
        if (result.Value is null) throw new ModelException($"{where}: StartsEngines: the cell has no value (return a list of Engines.Want(…))");
        var declared = new List<DeclaredEngine>();
        try
        {
            using var json = JsonDocument.Parse(Clive.Core.Values.ValueJson.FromMessagePack(result.Value));
            if (json.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("the value is not a list");
            foreach (var item in json.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object) throw new FormatException("an item is not an Engines.Want(…)");
                declared.Add(new DeclaredEngine
                {
                    Destination = String(item, nameof(EngineRequest.Destination)) ?? throw new FormatException("an item has no Destination"),
                    Labels = item.TryGetProperty(nameof(EngineRequest.Labels), out var labels) && labels.ValueKind == JsonValueKind.Array
                        ? labels.EnumerateArray().Select(l => l.ValueKind == JsonValueKind.String ? l.GetString()! : throw new FormatException("a label is not a string")).ToList()
                        : [],
                    Repo = String(item, nameof(EngineRequest.Repo)),
                    Jobs = item.TryGetProperty(nameof(EngineRequest.Jobs), out var jobs) && jobs.ValueKind == JsonValueKind.Number
                        ? jobs.TryGetInt32(out int n) ? n : throw new FormatException("Jobs is not a 32-bit integer") : null,
                    DeclaredIn = declaration.DeclaredIn,
                    Line = declaration.Line,
                });
                if (declared.Count > WantedEngine.MaxPerModel) break; // Check refuses it, naming the limit.
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or Clive.Core.Values.ValueFormatException)
        {
            throw new ModelException($"{where}: StartsEngines: {e.Message}");
        }
        return WantedEngine.Check(declared);
    }

    private static string? String(JsonElement item, string name)
        => item.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Null => null,
            _ => throw new FormatException($"{name} is not a string"),
        } : null;
}
