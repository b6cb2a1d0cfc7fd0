namespace Clive.Tests.Fixtures;

/// <summary>
/// A man in the middle of an engine session's SSH channel: it copies every frame the far side sends
/// and flips one hex digit of the result id in any claim among them, so the claim no longer
/// matches its signature. Other ssh commands (git's own pushes and fetches) pass untouched.
/// </summary>
public static class ClaimTamperer
{
    private const string Script = """
        import os, subprocess, sys, threading
        flag, command = sys.argv[1], sys.argv[2:]
        if not any('engine-session' in word for word in command):
            os.execvp(command[0], command)
        p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        def up():
            while True:
                d = os.read(0, 65536)
                if not d: break
                p.stdin.write(d); p.stdin.flush()
            p.stdin.close()
        threading.Thread(target=up, daemon=True).start()
        def readn(n):
            b = b''
            while len(b) < n:
                c = p.stdout.read(n - len(b))
                if not c: return None
                b += c
            return b
        while True:
            h = readn(4)
            if h is None: break
            body = readn(int.from_bytes(h, 'big'))
            if body is None: break
            i = body.find(b'\nresult ')
            if i >= 0 and (flag == '-' or os.path.exists(flag)):
                j = i + 8
                body = body[:j] + (b'0' if body[j:j+1] != b'0' else b'1') + body[j+1:]
            sys.stdout.buffer.write(h + body); sys.stdout.buffer.flush()
        p.wait()
        """;

    /// <summary>
    /// A GIT_SSH_COMMAND for <paramref name="host"/> that runs <paramref name="sshCommand"/> through
    /// the tamperer: always, or only while the file <paramref name="onlyWhileExists"/> exists.
    /// </summary>
    public static string SshCommand(GitSandbox host, string sshCommand, string? onlyWhileExists = null)
    {
        var script = host.PathOf("claim-tamperer.py");
        File.WriteAllText(script, Script);
        return $"python3 {script} {onlyWhileExists ?? "-"} {sshCommand}";
    }
}
