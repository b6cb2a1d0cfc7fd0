using Clive.Store.Repos;
using Clive.Store.Refs;

namespace Clive.Access;

/// <summary>
/// Where a right applies: a repo (or every repo under a prefix, <c>team/*</c>, or all, <c>*</c>) and a
/// ref pattern within it (<c>*</c>, an exact ref, or a prefix such as <c>refs/heads/team/*</c>).
/// Written <c>repo[:ref-pattern]</c>. Patterns are exact names or end in one <c>*</c>, which keeps
/// "is this scope inside that one" a simple prefix question.
/// </summary>
public sealed record Scope(string Repo, string Refs)
{
    public const string All = "*";

    public static Scope Parse(string text)
    {
        int colon = text.IndexOf(':');
        var repo = colon < 0 ? text : text[..colon];
        var refs = colon < 0 ? All : text[(colon + 1)..];
        if (repo != All)
        {
            var fixedPart = repo.EndsWith("/*", StringComparison.Ordinal) ? repo[..^2] : repo;
            repo = RepoName.Normalize(fixedPart) + (fixedPart.Length < repo.Length ? "/*" : "");
        }
        if (refs != All)
        {
            var fixedPart = refs.EndsWith('*') ? refs[..^1] : refs;
            if (fixedPart.Contains('*') || !fixedPart.StartsWith("refs/", StringComparison.Ordinal)
                || !RefName.IsValid(fixedPart.EndsWith('/') ? fixedPart + "x" : fixedPart))
                throw new UsageException($"invalid ref pattern '{refs}': use '*', a full ref name, or a prefix ending in '*' such as refs/heads/team/*");
        }
        return new Scope(repo, refs);
    }

    public bool CoversRepo(string repo) => Covers(Repo, repo);

    public bool CoversRef(string refName) => Covers(Refs, refName);

    /// <summary>True when every repo and ref this scope names is also named by <paramref name="outer"/>.</summary>
    public bool IsWithin(Scope outer) => Covers(outer.Repo, Repo) && Covers(outer.Refs, Refs);

    /// <summary>Whether pattern covers name, where name may itself be a pattern (then only narrower ones count).</summary>
    private static bool Covers(string pattern, string name)
    {
        if (pattern == All) return true;
        if (pattern.EndsWith('*')) return name.StartsWith(pattern[..^1], StringComparison.Ordinal);
        return pattern == name;
    }

    public override string ToString() => Refs == All ? Repo : $"{Repo}:{Refs}";
}
