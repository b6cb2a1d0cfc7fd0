using Clive.Store;

namespace Clive.Fs;

/// <summary>
/// Keeps a mount on its ref: follows the store's event sequence (a push, another mount's commit),
/// moves the tree to the ref's new commit, and hands what changed to the platform adapter to
/// invalidate. Runs on its own thread, never inside a file system request.
/// </summary>
public sealed class RefFollower : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public RefFollower(string? storeDirectory, MountedTree tree, Action<Invalidations> invalidate, Action<string> log)
    {
        _thread = new Thread(() => Follow(storeDirectory, tree, invalidate, log)) { IsBackground = true, Name = "clive-fs ref follower" };
        _thread.Start();
    }

    private void Follow(string? storeDirectory, MountedTree tree, Action<Invalidations> invalidate, Action<string> log)
    {
        try
        {
            using var store = CliveStore.Open(storeDirectory, create: false);
            using var follower = store.Events.Follow();
            long seen = store.Events.Latest();
            // The ref may have moved between the mount's first read and now.
            CatchUp(store, tree, invalidate, log);
            while (!_stop.IsCancellationRequested)
            {
                follower.WaitForNext(seen, _stop.Token);
                bool ours = false;
                foreach (var e in store.Events.Since(seen))
                {
                    seen = e.Sequence;
                    ours |= e.Repo == tree.Repo && e.Ref == tree.RefName;
                }
                if (!ours) continue;
                try
                {
                    CatchUp(store, tree, invalidate, log);
                }
                catch (Exception e) when (ErrorPolicy.IsUsersProblem(e))
                {
                    // A busy store or a passing error must not leave the mount frozen: try again.
                    log($"could not follow {tree.RefName} yet ({e.Message}); retrying");
                    seen--;
                    _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            log($"stopped following {tree.RefName}: {e.Message}");
        }
    }

    private static void CatchUp(CliveStore store, MountedTree tree, Action<Invalidations> invalidate, Action<string> log)
    {
        var current = store.Refs.Get(tree.RepoId, tree.RefName);
        if (current is null)
        {
            log($"{tree.RefName} was deleted; still showing {tree.CommitId.ToString()[..12]}");
            return;
        }
        if (current.Value == tree.CommitId) return;
        var changes = tree.MoveTo(current.Value);
        log($"{tree.RefName} moved to {current.Value.ToString()[..12]}");
        if (!changes.IsEmpty) invalidate(changes);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
