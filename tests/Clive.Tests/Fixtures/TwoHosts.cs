using Xunit;

namespace Clive.Tests.Fixtures;

/// <summary>
/// Two test hosts on one machine: network namespaces joined by a veth pair, 10.77.0.1 and
/// 10.77.0.2. Traffic between them never leaves the namespaces this fixture made; both are
/// deleted (with their link) on dispose.
/// </summary>
public sealed class TwoHosts : IDisposable
{
    public const string AddressA = "10.77.0.1";
    public const string AddressB = "10.77.0.2";

    public TwoHosts()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        NamespaceA = "clive-a-" + suffix;
        NamespaceB = "clive-b-" + suffix;
        var probe = Ip("netns", "add", NamespaceA);
        Skip.If(probe.ExitCode != 0, "cannot create network namespaces here: " + probe.Stderr.Trim());
        Ip("netns", "add", NamespaceB).EnsureSuccess("ip netns add");
        Ip("link", "add", "va" + suffix, "type", "veth", "peer", "name", "vb" + suffix).EnsureSuccess("ip link add");
        Ip("link", "set", "va" + suffix, "netns", NamespaceA).EnsureSuccess("ip link set");
        Ip("link", "set", "vb" + suffix, "netns", NamespaceB).EnsureSuccess("ip link set");
        foreach (var (ns, link, address) in new[] { (NamespaceA, "va" + suffix, AddressA), (NamespaceB, "vb" + suffix, AddressB) })
        {
            Ip("-n", ns, "addr", "add", address + "/24", "dev", link).EnsureSuccess("ip addr add");
            Ip("-n", ns, "link", "set", link, "up").EnsureSuccess("ip link up");
            Ip("-n", ns, "link", "set", "lo", "up").EnsureSuccess("ip link lo up");
        }
    }

    private string LinkB => "vb" + NamespaceB[^6..];

    /// <summary>Cuts B off: its end of the link goes down, and nothing more passes between the hosts.</summary>
    public void CutOffB() => Ip("-n", NamespaceB, "link", "set", LinkB, "down").EnsureSuccess("ip link set down");

    public string NamespaceA { get; }
    public string NamespaceB { get; }

    /// <summary>Runs a program on host A (inside its namespace).</summary>
    public ProcessResult OnA(string directory, IDictionary<string, string> environment, params string[] command)
        => ProcessRunner.Run("ip", ["netns", "exec", NamespaceA, .. command], directory, environment);

    private static ProcessResult Ip(params string[] args) => ProcessRunner.Run("ip", args, "/", new Dictionary<string, string>());

    public void Dispose()
    {
        Ip("netns", "delete", NamespaceA);
        Ip("netns", "delete", NamespaceB);
    }
}
