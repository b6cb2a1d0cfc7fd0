using Clive.Store.Refs;

namespace Clive.Fs;

/// <summary>
/// Turns a mount's saved edits into commits: after a quiet period with no new save (about a
/// second by default), everything pending becomes one commit on the ref, an ordinary ref update
/// that every follower of the store sees. If the ref moved meanwhile, it tries again once the
/// mount stands on the new commit, so the edits land on top of it.
/// </summary>
public sealed class OverlayCommitter : IDisposable
{
    private readonly MountedTree _tree;
    private readonly TimeSpan _quiet;
    private readonly Action<string> _log;
    private readonly string _who;
    private readonly MountFailure _failure;
    private readonly AutoResetEvent _saved = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public OverlayCommitter(MountedTree tree, TimeSpan quiet, string who, Action<string> log, MountFailure failure)
    {
        _tree = tree;
        _quiet = quiet;
        _who = who;
        _log = log;
        _failure = failure;
        tree.Saved += OnSaved;
        _thread = new Thread(Run) { IsBackground = true, Name = "clive-fs committer" };
        _thread.Start();
        if (tree.HasPendingEdits) _saved.Set(); // edits left by an earlier mount
    }

    private void OnSaved() => _saved.Set();

    private void Run()
    {
        var handles = new WaitHandle[] { _saved, _stop.Token.WaitHandle };
        while (!_stop.IsCancellationRequested)
        {
            if (WaitHandle.WaitAny(handles) == 1) break;
            // Quiet period: every new save restarts it.
            while (WaitHandle.WaitAny(handles, _quiet) == 0) { }
            CommitNow();
            if (_failure.HasFailed) return;
        }
        if (!_failure.HasFailed) CommitNow(); // what was saved before the unmount still becomes a commit
    }

    /// <summary>Commits whatever is pending now; also called at unmount.</summary>
    public void CommitNow()
    {
        int busy = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                var result = _tree.CommitOverlay(IgnoreRules.Of(_tree).IsIgnored, _who, out var status);
                if (result is not null)
                {
                    // No changes: the rows changed nothing (a temp file made and removed) and are spent.
                    if (result.Changes.Count > 0)
                        _log($"committed {result.Commit.ToString()[..12]} on {_tree.RefName}: {string.Join(", ", result.Changes.Select(c => c.Path).Take(5))}");
                    return;
                }
                if (status != RefUpdateStatus.Stale) return;
                // Someone else moved the ref: wait for the follower to stand the mount on it, then rebase.
                _log($"{_tree.RefName} moved under pending edits; committing them on top of the new commit");
                Thread.Sleep(200);
            }
            catch (Exception e) when (MountFailure.IsTransient(e))
            {
                var wait = MountFailure.Backoff(busy++);
                _log($"commit delayed, edits kept in the overlay: {e.Message}; retrying in {wait.TotalSeconds:0.#} s");
                _stop.Token.WaitHandle.WaitOne(wait);
            }
            catch (Exception e)
            {
                // Not the store being busy: trying again would fail the same way, forever.
                _failure.Stop("committing the mount's edits", e);
                return;
            }
        }
        // Still pending (the ref kept moving, or the store stayed busy): come back after another quiet period.
        if (_tree.HasPendingEdits && !_stop.IsCancellationRequested) _saved.Set();
    }

    public void Dispose()
    {
        _tree.Saved -= OnSaved;
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(30));
        _stop.Dispose();
        _saved.Dispose();
    }
}
