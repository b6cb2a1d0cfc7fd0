namespace Clive.Access;

/// <summary>A principal lacks a right; the message names the identity, the right and the scope.</summary>
public sealed class AccessDeniedException(Principal who, Right right, string scope)
    : CliveException($"access denied: '{who}' lacks the '{right.Name()}' right on {scope}")
{
    public Right Right { get; } = right;
}
