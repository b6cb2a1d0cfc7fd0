namespace Clive.Tests.Fixtures;

/// <summary>Paths in this repository's checkout, for tests that use its scripts.</summary>
public static class SourceTree
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Clive.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find Clive.sln above " + AppContext.BaseDirectory);
    }
}
