namespace Clive.Tests.Fixtures;

/// <summary>Two test hosts, A at 10.77.0.1 and B at 10.77.0.2 (see <see cref="TestNetwork"/>).</summary>
public sealed class TwoHosts() : TestNetwork(2)
{
    public const string AddressA = "10.77.0.1";
    public const string AddressB = "10.77.0.2";

    public string NamespaceA => Namespace(0);
    public string NamespaceB => Namespace(1);

    /// <summary>Cuts B off: its end of the link goes down, and nothing more passes between the hosts.</summary>
    public void CutOffB() => CutOff(1);

    /// <summary>Runs a program on host A (inside its namespace).</summary>
    public ProcessResult OnA(string directory, IDictionary<string, string> environment, params string[] command) => On(0, directory, environment, command);
}
