using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Clive.Tests.Fixtures;

/// <summary>
/// Bazel's reference Remote Execution API server, built and started by scripts/reapi-worker.sh,
/// bound to 127.0.0.1 only, with its CAS and work directories in a temporary directory. Skips the
/// test, saying why, when the Debian packages it is built from are absent (CI installs them).
/// </summary>
public sealed class ReapiWorker : IDisposable
{
    private static readonly string Script = Path.Combine(SourceTree.Root, "scripts", "reapi-worker.sh");
    private readonly string _directory = Directory.CreateTempSubdirectory("clive-reapi-").FullName;
    private Process? _process;

    public int Port { get; }

    public string Endpoint => $"grpc://127.0.0.1:{Port}";

    public ReapiWorker()
    {
        var built = ProcessRunner.Run("bash", [Script, "build"], _directory, new Dictionary<string, string>());
        Skip.If(built.ExitCode != 0 && built.Stderr.Contains("apt-get install"), $"no REAPI worker: {built.Stderr.Trim()}");
        built.EnsureSuccess("scripts/reapi-worker.sh build");
        Port = FreePort();
        Start();
    }

    /// <summary>Starts the worker (again, after <see cref="Kill"/>) on the same port and CAS, and waits until it accepts connections.</summary>
    public void Start()
    {
        File.Delete(Path.Combine(_directory, "pid"));
        _process = ProcessRunner.Start("bash", [Script, "start", Port.ToString(), _directory, "--jobs", "4"], _directory, new Dictionary<string, string>());
        _process.StandardInput.Close();
        var log = new System.Text.StringBuilder();
        _process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        // The worker writes its pid file once its gRPC server listens.
        Poll.Until(() => File.Exists(Path.Combine(_directory, "pid")) || (_process.HasExited ? throw new InvalidOperationException($"the worker exited:\n{log}") : false),
            "the REAPI worker to listen", 60, () => { lock (log) return log.ToString(); });
    }

    /// <summary>Kills the worker as a crash would (its CAS stays for a later <see cref="Start"/>).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { }
    }
}
