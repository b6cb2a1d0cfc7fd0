namespace Clive.Core.Store.Entities;

/// <summary>
/// An entity's name, the tail of its ref <c>refs/clive/entities/&lt;name&gt;</c> and of the mount's
/// <c>.clive/entities/&lt;name&gt;.json</c>: <c>/</c>-separated components of <c>[A-Za-z0-9._-]</c>,
/// none empty, starting with '.' or ending with '.lock', at most 200 bytes. Stricter than git's ref
/// rules, so a name is always a valid ref, path and file name, and never climbs out with "..".
/// </summary>
public static class EntityName
{
    public const int MaxLength = 200;

    public const string RefPrefix = "refs/clive/entities/";
    public const string IncomingPrefix = "refs/clive/incoming/entities/";
    public const string ConflictPrefix = "refs/clive/conflicts/entities/";

    public static bool IsValid(string name, out string why)
    {
        why = Problem(name) ?? "";
        return why.Length == 0;
    }

    /// <exception cref="InvalidEntityNameException">The name breaks a rule.</exception>
    public static string Check(string name) =>
        Problem(name) is { } why ? throw new InvalidEntityNameException(name, why) : name;

    public static string RefOf(string name) => RefPrefix + Check(name);

    /// <summary>The entity a ref under <paramref name="prefix"/> names, or null when it names none.</summary>
    public static string? FromRef(string refName, string prefix = RefPrefix) =>
        refName.StartsWith(prefix, StringComparison.Ordinal) && refName[prefix.Length..] is var name && Problem(name) is null ? name : null;

    private static string? Problem(string name)
    {
        if (name.Length == 0) return "it is empty";
        if (name.Length > MaxLength) return $"it is longer than {MaxLength} bytes";
        foreach (var component in name.Split('/'))
        {
            if (component.Length == 0) return "it has an empty component ('//' or a '/' at an end)";
            if (component[0] == '.') return "a component starts with '.'";
            if (component.EndsWith(".lock", StringComparison.Ordinal)) return "a component ends with '.lock'";
            if (!component.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                return "only letters, digits, '.', '_', '-' and '/' may be used";
        }
        return null;
    }
}

public sealed class InvalidEntityNameException(string name, string why)
    : CliveException($"invalid entity name '{Printable.Of(name)}': {why}");
