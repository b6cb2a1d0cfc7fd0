namespace Clive.Access;

/// <summary>What an identity may do in a scope. Each right includes the ones below it.</summary>
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
}

public static class Rights
{
    public static string Name(this Right right) => right.ToString().ToLowerInvariant();

    public static Right Parse(string text) => text switch
    {
        "read" => Right.Read,
        "write" => Right.Write,
        "force" => Right.Force,
        "admin" => Right.Admin,
        _ => throw new UsageException($"unknown right '{text}': use read, write, force or admin"),
    };
}
