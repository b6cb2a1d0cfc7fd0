using Clive.Git;

namespace Clive.Store.Overlay;

/// <summary>
/// A mount's commit message: what the commit changes, never what the overlay merely passed
/// through (an editor's temporary file, a directory that stayed empty). The subject names the
/// paths; the body says what happened to each, as <c>git status</c> would.
/// </summary>
public static class OverlayCommitMessage
{
    private const int SubjectPaths = 10;
    private const int BodyLines = 100;

    public static string For(IReadOnlyList<TreeChange> changes)
    {
        var subject = "clive-fs: " + string.Join(", ", changes.Take(SubjectPaths).Select(c => c.Path))
            + (changes.Count > SubjectPaths ? $" and {changes.Count - SubjectPaths} more" : "");
        var body = changes.Take(BodyLines).Select(c => c.ToString())
            .Concat(changes.Count > BodyLines ? [$"and {changes.Count - BodyLines} more"] : []);
        return subject + "\n\n" + string.Join("\n", body);
    }
}
