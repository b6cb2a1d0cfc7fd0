using System.Text;

namespace Clive.Engine.Values;

/// <summary>
/// Where a walk over a value is, as JSONPath-like text (<c>$.Items[2].Parent</c>, <c>$.Prices["a b"]</c>),
/// kept as a stack of segments so that only an error pays for building the text.
/// </summary>
internal sealed class ValuePath
{
    private readonly List<string> _segments = [];

    public void Member(string name) => _segments.Add("." + name);

    public void Index(int index) => _segments.Add("[" + index + "]");

    public void Key(string key) => _segments.Add(IsPlain(key) ? "." + key : "[\"" + key.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"]");

    public void Pop() => _segments.RemoveAt(_segments.Count - 1);

    public override string ToString()
    {
        var text = new StringBuilder("$");
        foreach (var segment in _segments) text.Append(segment);
        return text.ToString();
    }

    private static bool IsPlain(string key)
        => key.Length > 0 && !char.IsDigit(key[0]) && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
