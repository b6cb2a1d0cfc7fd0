namespace Clive.Store.Cells;

/// <summary>Where the engine publishes results: refs/clive/cells/&lt;branch&gt;/&lt;cell&gt;, fetchable with git and shown by clive-fs.</summary>
public static class CellRefs
{
    public const string Prefix = "refs/clive/";

    public static string For(string watchedRef, string cell) => "refs/clive/cells/" + ShortName(watchedRef) + "/" + cell;

    /// <summary>"refs/heads/main" → "main"; other refs keep their path below refs/.</summary>
    public static string ShortName(string refName)
        => refName.StartsWith("refs/heads/", StringComparison.Ordinal) ? refName["refs/heads/".Length..]
            : refName.StartsWith("refs/", StringComparison.Ordinal) ? refName["refs/".Length..] : refName;
}
