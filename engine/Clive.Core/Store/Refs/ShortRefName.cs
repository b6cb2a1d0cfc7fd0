namespace Clive.Store.Refs;

/// <summary>
/// The one rule by which a name the user typed (<c>main</c>, <c>v1.0</c>, <c>origin/dev</c>) becomes
/// a full ref name. Two uses, one order:
/// <list type="bullet">
/// <item><see cref="Candidates"/>: any ref, as <c>git rev-parse</c> looks one up
/// (git's <c>ref_rev_parse_rules</c>): the name itself, <c>refs/&lt;name&gt;</c>, <c>refs/tags/</c>,
/// <c>refs/heads/</c>, <c>refs/remotes/</c>, <c>refs/remotes/&lt;name&gt;/HEAD</c>. The first that
/// exists wins, so a tag shadows a branch of the same name, as in git.</item>
/// <item><see cref="Branch"/>: where a branch is meant (<c>--branch</c>, a new repo's HEAD), as
/// <c>git checkout -b</c> reads it: a full name stays, any other is below <c>refs/heads/</c>.</item>
/// </list>
/// </summary>
public static class ShortRefName
{
    public const string HeadsPrefix = "refs/heads/";

    /// <summary>The full names <paramref name="name"/> may stand for, in the order git tries them.</summary>
    public static IEnumerable<string> Candidates(string name)
    {
        yield return name;
        // A name that is already full (refs/…) or HEAD means only itself.
        if (name.StartsWith("refs/", StringComparison.Ordinal) || name == RefDatabase.Head) yield break;
        yield return "refs/" + name;
        yield return "refs/tags/" + name;
        yield return HeadsPrefix + name;
        yield return "refs/remotes/" + name;
        yield return "refs/remotes/" + name + "/HEAD";
    }

    /// <summary>The first candidate for which <paramref name="exists"/> holds, or null.</summary>
    public static string? Find(string name, Func<string, bool> exists) => Candidates(name).FirstOrDefault(exists);

    /// <summary>Whether <paramref name="name"/> could stand for <paramref name="fullName"/>: a change to it may change what the name means.</summary>
    public static bool CouldMean(string name, string fullName) => Candidates(name).Contains(fullName, StringComparer.Ordinal);

    /// <summary>A branch name as a full ref: <c>main</c> → <c>refs/heads/main</c>; <c>refs/…</c> stays as it is.</summary>
    public static string Branch(string name)
        => name.StartsWith("refs/", StringComparison.Ordinal) ? name : HeadsPrefix + name;
}
