using System.Runtime.InteropServices;

namespace Clive.Tests.Fixtures;

/// <summary>
/// Sends a signal from this process itself. A test that straces its own process with <c>-f</c>
/// cannot run <c>kill</c> to stop strace: the forked <c>kill</c> is a child strace follows, and
/// strace detaching mid-way through it can leave it stopped for good (it hung a CI run).
/// </summary>
public static class Signals
{
    public const int Interrupt = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
