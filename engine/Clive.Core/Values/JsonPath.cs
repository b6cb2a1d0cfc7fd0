using System.Text;

namespace Clive.Core.Values;

/// <summary>How errors name a place in a value: <c>$.items[3].quantity</c>, <c>$.tags["a b"]</c>.</summary>
internal static class JsonPath
{
    public static string Member(string path, string name) =>
        IsPlain(name) ? $"{path}.{name}" : $"{path}[{Quote(name)}]";

    public static string Index(string path, int index) => $"{path}[{index}]";

    /// <summary>A name as a JSON string, with anything unprintable escaped so an error stays one line.</summary>
    public static string Quote(string name)
    {
        var text = name.Length > 80 ? name[..80] + "…" : name;
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\') builder.Append('\\').Append(c);
            else if (char.IsControl(c) || char.IsSurrogate(c)) builder.Append($"\\u{(int)c:x4}");
            else builder.Append(c);
        }
        return builder.Append('"').ToString();
    }

    private static bool IsPlain(string name) =>
        name.Length is > 0 and <= 80 && !char.IsDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$');
}
