namespace Clive.Claims;

/// <summary>A claim that is not used: malformed, unsigned, signed by a key not trusted for its repo, or not what it says.</summary>
public sealed class ClaimRefusedException(string message) : CliveException(message);
