namespace Clive;

/// <summary>
/// An error a user can cause. It becomes one line at the edge of the program
/// (<c>fatal: …</c> or a protocol error), never a stack trace.
/// </summary>
public class CliveException(string message, Exception? cause = null) : Exception(message, cause);

public sealed class InvalidObjectException(string message) : CliveException(message);

public sealed class InvalidPackException(string message) : CliveException(message);

public sealed class RepoNotFoundException(string repo) : CliveException($"repository '{repo}' does not exist");

public sealed class InvalidRepoNameException(string repo, string why)
    : CliveException($"invalid repository name '{Printable.Of(repo)}': {why}");

public sealed class StoreNotFoundException(string directory)
    : CliveException($"no store at '{directory}' (a push or `clive repo create` makes one; check --store or CLIVE_STORE)");

public sealed class ProtocolException(string message) : CliveException(message);

public sealed class UsageException(string message) : CliveException(message);

/// <summary>
/// Data whose SHA-1 shows the marks of a collision attack (git's sha1dc verdict, in git's words):
/// refusing it keeps two different contents from ever sharing a name in the store.
/// </summary>
public sealed class CollisionAttackException(string hash)
    : CliveException($"SHA-1 appears to be part of a collision attack: {hash}");
