using Xunit;

namespace Clive.Tests.Fixtures;

/// <summary>
/// Test hosts on one machine: each its own network namespace with one link to a switch (a bridge
/// in a namespace of its own), host <c>i</c> at 10.77.0.<c>i+1</c>. Traffic between them never
/// leaves the namespaces this fixture made; all are deleted (with their links) on dispose. A host
/// is cut off by setting its end of its link down: the others still reach each other.
/// </summary>
public class TestNetwork : IDisposable
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private readonly string _switch;
    private readonly List<string> _namespaces = [];

    public TestNetwork(int hosts)
    {
        if (hosts is < 1 or > 9) throw new ArgumentOutOfRangeException(nameof(hosts), "from 1 to 9 hosts");
        _switch = "clive-sw-" + _suffix;
        var probe = Ip("netns", "add", _switch);
        Skip.If(probe.ExitCode != 0, "cannot create network namespaces here: " + probe.Stderr.Trim());
        Ip("-n", _switch, "link", "add", "br0", "type", "bridge").EnsureSuccess("ip link add bridge");
        Ip("-n", _switch, "link", "set", "br0", "up").EnsureSuccess("ip link set bridge up");
        for (int i = 0; i < hosts; i++)
        {
            var ns = $"clive-{(char)('a' + i)}-{_suffix}";
            Ip("netns", "add", ns).EnsureSuccess("ip netns add");
            _namespaces.Add(ns);
            // Interface names: at most 15 bytes.
            string hostEnd = HostLink(i), switchEnd = $"s{i}{_suffix}";
            Ip("link", "add", hostEnd, "type", "veth", "peer", "name", switchEnd).EnsureSuccess("ip link add");
            Ip("link", "set", hostEnd, "netns", ns).EnsureSuccess("ip link set netns");
            Ip("link", "set", switchEnd, "netns", _switch).EnsureSuccess("ip link set netns");
            Ip("-n", _switch, "link", "set", switchEnd, "master", "br0", "up").EnsureSuccess("ip link set master");
            Ip("-n", ns, "addr", "add", Address(i) + "/24", "dev", hostEnd).EnsureSuccess("ip addr add");
            Ip("-n", ns, "link", "set", hostEnd, "up").EnsureSuccess("ip link up");
            Ip("-n", ns, "link", "set", "lo", "up").EnsureSuccess("ip link lo up");
        }
    }

    public int Count => _namespaces.Count;

    /// <summary>Host <paramref name="host"/>'s address on the test network.</summary>
    public static string Address(int host) => $"10.77.0.{host + 1}";

    public string Namespace(int host) => _namespaces[host];

    private string HostLink(int host) => $"h{host}{_suffix}";

    /// <summary>Cuts a host off: its end of the link goes down, and nothing more passes between it and any other host.</summary>
    public void CutOff(int host) => Ip("-n", Namespace(host), "link", "set", HostLink(host), "down").EnsureSuccess("ip link set down");

    /// <summary>Brings a cut-off host's link up again.</summary>
    public void Reconnect(int host) => Ip("-n", Namespace(host), "link", "set", HostLink(host), "up").EnsureSuccess("ip link set up");

    /// <summary>Runs a program on a host (inside its namespace).</summary>
    public ProcessResult On(int host, string directory, IDictionary<string, string> environment, params string[] command)
        => ProcessRunner.Run("ip", ["netns", "exec", Namespace(host), .. command], directory, environment);

    private static ProcessResult Ip(params string[] args) => ProcessRunner.Run("ip", args, "/", new Dictionary<string, string>());

    public void Dispose()
    {
        foreach (var ns in _namespaces) Ip("netns", "delete", ns);
        Ip("netns", "delete", _switch);
        GC.SuppressFinalize(this);
    }
}
