namespace Clive.Access;

/// <summary>
/// What an identity may do in a scope. Read, write, force and admin form a ladder: each includes
/// the ones below it. Run stands beside the ladder: having the engine run the models one pushes is
/// running code on the engine's host, which writing to a repo must not imply. Admin includes it,
/// since an admin could grant it to itself anyway.
/// </summary>
public enum Right
{
    /// <summary>Fetch and clone the refs in scope.</summary>
    Read = 1,
    /// <summary>Create refs and move them forward (fast-forward only).</summary>
    Write = 2,
    /// <summary>Rewrite refs (non-fast-forward) and delete them.</summary>
    Force = 3,
    /// <summary>Grant and revoke rights within the scope.</summary>
    Admin = 4,
    /// <summary>Have the engine evaluate the models (clive.csx) of the commits one pushes to refs in scope.</summary>
    Run = 5,
}

public static class Rights
{
    public static string Name(this Right right) => right.ToString().ToLowerInvariant();

    /// <summary>Whether a grant of <paramref name="granted"/> gives <paramref name="asked"/>.</summary>
    public static bool Includes(this Right granted, Right asked) => asked == Right.Run
        ? granted is Right.Run or Right.Admin
        : granted != Right.Run && granted >= asked;

    public static Right Parse(string text) => text switch
    {
        "read" => Right.Read,
        "write" => Right.Write,
        "force" => Right.Force,
        "admin" => Right.Admin,
        "run" => Right.Run,
        _ => throw new UsageException($"unknown right '{text}': use read, write, force, admin or run"),
    };
}
