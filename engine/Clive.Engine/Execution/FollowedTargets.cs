using System.Security.Cryptography;
using Clive.Engine.Inputs;
using Clive.Git;
using Clive.Model;
using Clive.Store.Cells;

namespace Clive.Engine.Execution;

/// <summary>
/// Cells' results and refs that a run follows: what the run gets of them, the key field that records
/// where each was (<c>cell &lt;address&gt; value &lt;digest&gt;</c>, <c>ref &lt;repo&gt;:&lt;name&gt; &lt;commit&gt;</c>),
/// and whether it is still there. Reads are checked against the rights of whoever pushed the model.
/// </summary>
public static class FollowedTargets
{
    public const string CellKind = "cell";
    public const string RefKind = "ref";

    /// <summary>Why the model may not read a ref (repo, full or short name, how the cell reaches it), or null.</summary>
    public delegate string? ReadCheck(EngineStore s, string repo, string refName, string how);

    /// <summary>The ref a cell's result is published at, for a "&lt;repo&gt;@&lt;branch&gt;:&lt;cell&gt;" address.</summary>
    public static (string Repo, string Ref) ResultRef(string address)
    {
        var (repo, branch, cell) = CellAddress.Parse(address);
        return (repo, CellRefs.For("refs/heads/" + branch, cell));
    }

    /// <summary>A cell's current value (null: no result, or no value), with the key field recording it; or why it may not be read.</summary>
    public static (KeyField? Field, byte[]? Value, string? Error) Cell(EngineStore s, string address, ReadCheck check)
    {
        string repo, refName;
        try { (repo, refName) = ResultRef(address); }
        catch (ArgumentException e) { return (null, null, e.Message); }
        if (check(s, repo, refName, "follows") is { } refusal) return (null, null, refusal);
        var value = CellValue(s, repo, refName);
        var field = new KeyField(CellKind, address, ValueDigest(value));
        return (field, value, value is null ? $"cell {address} has no value (yet)" : null);
    }

    /// <summary>A ref's commit and its files matched by <paramref name="glob"/>, with the key field recording it; or why it may not be read.</summary>
    public static (KeyField? Field, string? Commit, IReadOnlyList<FileEntry> Files, string? Error) Ref(EngineStore s, string address, string glob, ReadCheck check)
    {
        GitRef reference;
        try { reference = new GitRef(address); }
        catch (ArgumentException e) { return (null, null, [], e.Message); }
        if (check(s, reference.Repo, reference.Name, "follows") is { } refusal) return (null, null, [], refusal);
        if (Commit(s, reference.Repo, reference.Name) is not { } commit)
            return (new KeyField(RefKind, address, "absent"), null, [], $"{reference.Repo} has no ref '{reference.Name}'");
        var files = s.Matcher.Match(s.Trees.TreeOfCommit(commit), [glob]).Files;
        return (new KeyField(RefKind, address, commit.ToString()), commit.ToString(), files, null);
    }

    /// <summary>Whether what <paramref name="field"/> (a cell or ref follow) recorded is still where it is now.</summary>
    public static bool StillCurrent(EngineStore s, KeyField field) => field.Kind switch
    {
        CellKind => ValueDigest(CellValue(s, ResultRef(field.Subject).Repo, ResultRef(field.Subject).Ref)) == field.Value,
        RefKind => (Commit(s, new GitRef(field.Subject).Repo, new GitRef(field.Subject).Name)?.ToString() ?? "absent") == field.Value,
        _ => throw new ArgumentException($"'{field.Kind}' is not a followed target's kind"),
    };

    /// <summary>Whether the follow <paramref name="field"/> is of <paramref name="refName"/> of <paramref name="repo"/> (so its move may change it).</summary>
    public static bool IsOf(KeyField field, string repo, string refName)
    {
        switch (field.Kind)
        {
            case CellKind:
                var result = ResultRef(field.Subject);
                return result.Repo == repo && result.Ref == refName;
            case RefKind:
                var reference = new GitRef(field.Subject);
                return reference.Repo == repo && Clive.Store.Refs.ShortRefName.CouldMean(reference.Name, refName);
            default:
                return false;
        }
    }

    private static ObjectId? Commit(EngineStore s, string repo, string refName)
        => s.Store.Repos.TryGetId(repo) is { } repoId ? s.Store.Refs.Resolve(repoId, refName) : null;

    private static byte[]? CellValue(EngineStore s, string repo, string refName)
    {
        if (Commit(s, repo, refName) is not { } commit) return null;
        var files = s.Trees.Entries(s.Trees.TreeOfCommit(commit));
        return files.TryGetValue("value.msgpack", out var value) ? s.Store.Objects.Read(value.Id, ObjectType.Blob) : null;
    }

    /// <summary>What a follow records of a cell's value: its digest, so a rerun with the same value changes nothing (early cutoff).</summary>
    private static string ValueDigest(byte[]? value) => value is null ? "absent" : "value " + Convert.ToHexStringLower(SHA256.HashData(value));
}
