namespace Clive.Model;

/// <summary>Names and paths of a model: cells are named by where they are declared, as Bazel packages are.</summary>
public static class ModelPaths
{
    /// <summary>"/app/clive.csx" → "app"; "/clive.csx" → "".</summary>
    public static string DirectoryOf(string file)
    {
        var path = file.Replace('\\', '/').TrimStart('/');
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path[..slash];
    }

    public static string CellName(string directory, string name)
    {
        if (!IsValidName(name))
            throw new ArgumentException($"'{name}' is not a valid cell name: use letters, digits, '.', '_' and '-', not starting with '.' or '-'");
        return directory.Length == 0 ? name : directory + "/" + name;
    }

    /// <summary>A path or cell name relative to <paramref name="directory"/>, or from the root when it starts with "/".</summary>
    public static string Resolve(string directory, string relative)
    {
        if (relative.StartsWith('/')) return Normalize(relative.TrimStart('/'));
        return Normalize(directory.Length == 0 ? relative : directory + "/" + relative);
    }

    /// <summary>Removes "." and resolves ".." segments; a path may not climb above the root.</summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (parts.Count == 0) throw new ArgumentException($"'{path}' leads outside the tree");
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public static bool IsValidName(string name)
        => name.Length > 0 && name[0] != '.' && name[0] != '-' && !name.EndsWith(".lock", StringComparison.Ordinal)
           && !name.Contains("..", StringComparison.Ordinal) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
