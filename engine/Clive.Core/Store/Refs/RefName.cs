namespace Clive.Store.Refs;

/// <summary>The rules of <c>git check-ref-format</c> for a full ref name.</summary>
public static class RefName
{
    public static bool IsValid(string name)
    {
        if (!name.StartsWith("refs/", StringComparison.Ordinal) || name.Length > 1024) return false;
        if (name.EndsWith('/') || name.EndsWith('.') || name.Contains("..") || name.Contains("@{") || name.Contains("//"))
            return false;
        foreach (var c in name)
        {
            if (c < 0x20 || c == 0x7F || c is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\') return false;
        }
        foreach (var component in name.Split('/'))
        {
            if (component.Length == 0 || component[0] == '.' || component.EndsWith(".lock", StringComparison.Ordinal)) return false;
        }
        return true;
    }
}
