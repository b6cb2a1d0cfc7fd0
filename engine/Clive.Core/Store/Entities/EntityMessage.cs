using System.Text;

namespace Clive.Core.Store.Entities;

/// <summary>
/// An entity version's commit message: one summary line, then, when a cell wrote it, the trailers
/// <c>Clive-Cell: &lt;repo&gt;@&lt;branch&gt;:&lt;cell&gt;</c> and <c>Clive-Key: &lt;hex&gt;</c>.
/// </summary>
public sealed record EntityMessage(string Summary, string? Cell = null, string? Key = null)
{
    private const string CellTrailer = "Clive-Cell: ";
    private const string KeyTrailer = "Clive-Key: ";

    /// <summary>The message as committed; a summary's line breaks become spaces so it stays one line.</summary>
    public string Compose()
    {
        var text = new StringBuilder(OneLine(Summary));
        if (Cell is null && Key is null) return text.ToString();
        text.Append("\n\n");
        if (Cell is not null) text.Append(CellTrailer).Append(OneLine(Cell)).Append('\n');
        if (Key is not null) text.Append(KeyTrailer).Append(OneLine(Key)).Append('\n');
        return text.ToString();
    }

    /// <summary>Reads a committed message back; trailers are looked for in its last paragraph only, as git does.</summary>
    public static EntityMessage Parse(string message)
    {
        var lines = message.Replace("\r\n", "\n").TrimEnd('\n').Split('\n');
        var summary = lines[0];
        var lastParagraph = lines.Skip(1).Reverse().TakeWhile(l => l.Length > 0).ToList();
        string? cell = null, key = null;
        foreach (var line in lastParagraph)
        {
            if (line.StartsWith(CellTrailer, StringComparison.Ordinal)) cell = line[CellTrailer.Length..];
            else if (line.StartsWith(KeyTrailer, StringComparison.Ordinal)) key = line[KeyTrailer.Length..];
        }
        return new EntityMessage(summary, cell, key);
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}
