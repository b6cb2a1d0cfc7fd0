namespace Clive.Access;

/// <summary>
/// A connection made with a key the identity no longer has: an authorized_keys line left
/// installed after its key was removed or replaced.
/// </summary>
public sealed class KeyNotCurrentException(string identity)
    : CliveException($"this key no longer belongs to identity '{identity}' (the machine owner installs `clive keys authorized-keys` again)");
