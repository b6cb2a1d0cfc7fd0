using System.Text.Json;
using System.Text.Json.Serialization;

namespace Clive.Cli;

internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Write<T>(T value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Options));

    /// <summary>One object per line, for streams that never end (clive events --follow).</summary>
    public static void WriteLine<T>(T value)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions(Options) { WriteIndented = false }));
        Console.Out.Flush();
    }
}
