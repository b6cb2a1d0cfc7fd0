using System.Diagnostics;
using Clive.Dispatch;
using Clive.Git;
using Clive.Remote;

namespace Clive.Engine.Remote;

/// <summary>Why a remote engine did not deliver: refused, went silent, or closed the session. The cell goes elsewhere.</summary>
public sealed class DispatchFailure(string message) : CliveException(message);

/// <summary>
/// One long-lived engine session with another host (<c>ssh … clive serve engine-session &lt;repo&gt;</c>),
/// reused for every job: no SSH handshake per cell. One exchange at a time. A session that fails
/// once (an error, silence past <see cref="Silence"/>, a closed channel) is broken for good; the
/// next job opens a new one.
/// </summary>
public sealed class RemoteSession : IDisposable
{
    /// <summary>How long the other side may say nothing (it says "waiting" every few seconds while a job runs) before it counts as cut off.</summary>
    public static TimeSpan Silence { get; set; } = TimeSpan.FromMilliseconds(
        int.TryParse(Environment.GetEnvironmentVariable("CLIVE_DISPATCH_SILENCE_MS"), out var ms) && ms > 0 ? ms : 15_000);

    private readonly Process _ssh;
    private readonly CountingStream _fromRemote;
    private readonly Stream _toRemote;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private RemoteSession(RemoteEngine engine, Process ssh)
    {
        Engine = engine;
        _ssh = ssh;
        _fromRemote = new CountingStream(ssh.StandardOutput.BaseStream);
        _toRemote = ssh.StandardInput.BaseStream;
    }

    public RemoteEngine Engine { get; }

    /// <summary>The labels of the engines that run the repo there, from their adverts.</summary>
    public IReadOnlyList<string> Labels { get; private set; } = [];

    /// <summary>The host name its claims carry.</summary>
    public string Host { get; private set; } = "";

    public bool Broken { get; private set; }

    /// <summary>Whether a job is in flight on it now (one at a time per session).</summary>
    public bool Busy => _gate.CurrentCount == 0;

    /// <summary>Connects and says hello (the remote side checks the run right now).</summary>
    public static RemoteSession Open(RemoteEngine engine)
    {
        var command = SshConnection.Command(engine.Destination, "engine-session", engine.Repo, null);
        var ssh = Process.Start(command) ?? throw new DispatchFailure($"could not start '{command.FileName}'");
        var session = new RemoteSession(engine, ssh);
        try
        {
            var hello = session.Exchange(new DispatchRequest { Kind = DispatchRequest.Hello }, HelloWithin);
            if (hello.Kind != DispatchReply.Hello || hello.Host is not { } host || !Clive.Claims.HostName.IsValid(host))
                throw new DispatchFailure($"{engine.Destination.Host}: not an engine session's hello");
            session.Host = host;
            session.Labels = (hello.Labels ?? []).Where(l => l is { Length: > 0 and <= 64 }).Take(256).ToList();
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands a job over: sends the objects it asks for (<paramref name="packOf"/>), then waits for
    /// the result (or None when only a claim was asked for and there is none).
    /// </summary>
    public async Task<DispatchReply> JobAsync(DispatchRequest job, Func<IReadOnlyList<ObjectId>, byte[]> packOf, CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            return await Task.Run(() =>
            {
                var reply = Exchange(job);
                while (true)
                {
                    switch (reply.Kind)
                    {
                        case DispatchReply.MissingObjects:
                            var missing = DispatchChannel.Ids(reply.Missing, "the objects asked for");
                            reply = Exchange(new DispatchRequest { Kind = DispatchRequest.Objects, Pack = packOf(missing) });
                            break;
                        case DispatchReply.Waiting:
                            cancel.ThrowIfCancellationRequested();
                            reply = Receive();
                            break;
                        case DispatchReply.Result or DispatchReply.None:
                            return reply;
                        default:
                            throw new DispatchFailure($"{Host}: unexpected '{Printable.Of(reply.Kind)}'");
                    }
                }
            }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CliveException or IOException or OperationCanceledException)
        {
            // Mid-exchange, the channel's state is unknown: it is not used again.
            Break();
            if (e is CliveException and not DispatchFailure) throw new DispatchFailure($"{Host}: {e.Message}");
            if (e is IOException) throw new DispatchFailure($"{Host}: the session broke ({e.Message})");
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The hello waits for ssh's handshake and for the far side to start the process that serves
    /// the session, seconds on a loaded host: longer than a running session may stay silent.
    /// </summary>
    private static TimeSpan HelloWithin => Silence > TimeSpan.FromSeconds(60) ? Silence : TimeSpan.FromSeconds(60);

    private DispatchReply Exchange(DispatchRequest request, TimeSpan? silence = null)
    {
        try
        {
            DispatchChannel.Write(_toRemote, request);
        }
        catch (IOException e)
        {
            Break();
            throw new DispatchFailure($"{Where}: the session is closed ({e.Message})");
        }
        return Receive(silence ?? Silence);
    }

    /// <summary>
    /// The next reply, or a failure when no byte comes for <see cref="Silence"/> (a large result may
    /// take longer than that to arrive, as long as it keeps arriving): the link is taken for cut,
    /// the ssh process is killed.
    /// </summary>
    private DispatchReply Receive() => Receive(Silence);

    private DispatchReply Receive(TimeSpan silence)
    {
        var read = Task.Run(() => DispatchChannel.Read<DispatchReply>(_fromRemote));
        long seen = _fromRemote.Count;
        while (Task.WhenAny(read, Task.Delay(silence)).GetAwaiter().GetResult() != read)
        {
            if (_fromRemote.Count != seen)
            {
                seen = _fromRemote.Count;
                continue;
            }
            Break();
            throw new DispatchFailure($"{Where}: no word for {silence.TotalSeconds:0.#} s: taken for cut off");
        }
        var reply = read.GetAwaiter().GetResult() ?? throw new DispatchFailure($"{Where}: the session closed");
        if (reply.Kind == DispatchReply.Error)
        {
            Break();
            throw new DispatchFailure($"{Where}: {Printable.Of(reply.Message ?? "refused")}");
        }
        return reply;
    }

    private string Where => Host.Length > 0 ? Host : Engine.Destination.Host;

    private void Break()
    {
        Broken = true;
        try
        {
            if (!_ssh.HasExited) _ssh.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Break();
        _ssh.Dispose();
        _gate.Dispose();
    }
}

/// <summary>A read-only stream that counts the bytes read through it, so a waiting reader can tell a slow answer from none.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        Interlocked.Add(ref _count, n);
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
