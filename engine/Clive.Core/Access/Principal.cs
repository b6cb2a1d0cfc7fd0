namespace Clive.Access;

/// <summary>
/// Who is asking: the machine's owner (local access, no key needed, every right), or an identity
/// authenticated by sshd through its key.
/// </summary>
public sealed record Principal(string Name, bool IsOwner)
{
    public static Principal Owner { get; } = new("local:" + Environment.UserName, true);

    public static Principal Identity(string name) => new(IdentityName.Validate(name), false);

    /// <summary>
    /// Who made a ref change, from the name the reflog keeps: "local:…" for changes made on this
    /// machine (pushes to clive::local, mounts, the owner's commands), else an identity's name.
    /// A name that is neither (a removed identity's, an old row's) is an identity with no rights.
    /// </summary>
    public static Principal FromReflog(string who)
        => who.StartsWith("local:", StringComparison.Ordinal) ? new Principal(who, true) : new Principal(who, false);

    public override string ToString() => Name;
}

/// <summary>Identity names: letters, digits, '.', '_', '-', not starting with '-' (they reach command lines).</summary>
public static class IdentityName
{
    public static string Validate(string name)
    {
        if (name.Length is 0 or > 64 || name[0] is '-' or '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            throw new UsageException($"invalid identity name '{Printable.Of(name)}': use letters, digits, '.', '_' and '-' (not first)");
        return name;
    }
}
