using System.Diagnostics;
using Clive.Engine.Interop;
using Clive.Interop;

namespace Clive.Engine.Execution;

/// <summary>
/// A command started as the leader of its own process group (through setsid), so that it and
/// everything it starts can be stopped together — also by the next engine, after a kill -9 of this one.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    private readonly Process _process;
    private readonly Task _stdout;
    private readonly Task _stderr;

    private ProcessGroup(Process process, Stream stdout, Stream stderr, TextWriter? echo)
    {
        _process = process;
        Pid = process.Id;
        StartTime = ProcessIdentity.StartTime(Pid) ?? 0;
        _stdout = Copy(process.StandardOutput.BaseStream, stdout, echo);
        _stderr = Copy(process.StandardError.BaseStream, stderr, echo);
    }

    public int Pid { get; }

    /// <summary>When the process started, to tell it from a later one with the same id.</summary>
    public long StartTime { get; }

    /// <summary>The program and arguments a cell's command line stands for: one string is a script for /bin/sh -c.</summary>
    public static IReadOnlyList<string> CommandOf(IReadOnlyList<string> commandLine, bool shell)
        => shell ? ["/bin/sh", "-c", .. commandLine] : commandLine;

    /// <summary>How to start <paramref name="command"/> as the leader of a session (and process group) of its own, its three streams piped.</summary>
    public static ProcessStartInfo InNewSession(IEnumerable<string> command, string directory)
    {
        // setsid execs in place when its caller leads no group (a fresh child never does): the pid stays the group's id.
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command) info.ArgumentList.Add(argument);
        return info;
    }

    /// <summary>Starts <paramref name="command"/> (a program and its arguments, e.g. a sandbox around a cell's command) in <paramref name="directory"/>.</summary>
    public static ProcessGroup Start(IReadOnlyList<string> command, string directory, Stream stdout, Stream stderr, TextWriter? echo = null)
    {
        var info = InNewSession(command, directory);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CliveException("could not start setsid");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliveException($"could not start a command: {e.Message} (setsid, from util-linux, is needed)");
        }
        process.StandardInput.Close();
        return new ProcessGroup(process, stdout, stderr, echo);
    }

    /// <summary>Waits for the command; its group is killed once the leader exits, so no helper it left behind lingers.</summary>
    public async Task<int> WaitAsync(CancellationToken cancel, TimeSpan grace)
    {
        try
        {
            await _process.WaitForExitAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopAsync(grace).ConfigureAwait(false);
            throw;
        }
        LibC.SignalGroup(Pid, LibC.SIGKILL);
        await Task.WhenAll(_stdout, _stderr).ConfigureAwait(false);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public Task Exited => _process.WaitForExitAsync();

    /// <summary>SIGTERM to the group, then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            LibC.SignalGroup(Pid, LibC.SIGTERM);
            using var timeout = new CancellationTokenSource(grace);
            try { await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        LibC.SignalGroup(Pid, LibC.SIGKILL);
        await _process.WaitForExitAsync().ConfigureAwait(false);
        try { await Task.WhenAll(_stdout, _stderr).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (TimeoutException) { }
    }

    /// <summary>Kills a group a previous engine left running, if its leader is still the same process.</summary>
    public static void KillLeftover(int pid, long? startTime)
    {
        if (startTime is { } expected && ProcessIdentity.StartTime(pid) == expected) LibC.SignalGroup(pid, LibC.SIGKILL);
    }

    private static async Task Copy(Stream from, Stream to, TextWriter? echo)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (to) { to.Write(buffer, 0, read); to.Flush(); }
            if (echo is not null) lock (echo) { echo.Write(System.Text.Encoding.UTF8.GetString(buffer, 0, read)); echo.Flush(); }
        }
    }

    public void Dispose() => _process.Dispose();
}
