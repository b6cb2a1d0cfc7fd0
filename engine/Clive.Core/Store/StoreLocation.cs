namespace Clive.Store;

/// <summary>Where the store lives: <c>$CLIVE_STORE</c>, else the XDG data directory.</summary>
public static class StoreLocation
{
    public const string EnvironmentVariable = "CLIVE_STORE";
    public const string DatabaseFileName = "store.db";

    public static string Resolve(string? explicitDirectory = null)
    {
        if (!string.IsNullOrEmpty(explicitDirectory)) return Path.GetFullPath(explicitDirectory);
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        return Default();
    }

    /// <summary>Where the store is when nothing says otherwise (what a forced SSH command sees).</summary>
    public static string Default()
    {
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        return Path.Combine(dataHome, "clive");
    }
}
