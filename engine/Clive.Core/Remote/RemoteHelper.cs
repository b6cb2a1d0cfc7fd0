using System.Text;
using Clive.Access;
using Clive.Protocol;

namespace Clive.Remote;

/// <summary>
/// git's side of the conversation with <c>git-remote-clive</c> (gitremote-helpers): we offer
/// only <c>connect</c>, so after one command the pipes carry git's own pack protocol and git
/// runs its full client (negotiation, shallow, leases, atomic, progress) against our server:
/// in this process for the local store, or <c>clive serve</c> on another host over SSH.
/// </summary>
public sealed class RemoteHelper(string? remoteName, string url, Stream input, Stream output, string? storeDirectory)
{
    public int Run()
    {
        var address = RemoteAddress.Parse(url);
        var destination = address.IsLocal ? null : SshDestination.Parse(address.Host);
        while (ReadLine() is { } line)
        {
            if (line.Length == 0) return 0;
            if (line == "capabilities")
            {
                Write("connect\n\n");
            }
            else if (line.StartsWith("connect ", StringComparison.Ordinal))
            {
                var service = line["connect ".Length..];
                if (service is not (GitService.UploadPack or GitService.ReceivePack))
                    throw new ProtocolException($"unsupported service '{service}'");
                Write("\n");
                return destination is null
                    ? GitService.Serve(service, address.Repo, input, output, storeDirectory, Principal.Owner)
                    : SshConnection.Relay(SshConnection.Command(destination, service, address.Repo, remoteName), input, output);
            }
            else
            {
                throw new ProtocolException($"unknown remote helper command '{line}'");
            }
        }
        return 0;
    }

    /// <summary>Reads one command line byte by byte: the protocol stream follows on the same pipe.</summary>
    private string? ReadLine()
    {
        var bytes = new List<byte>();
        while (true)
        {
            int b = input.ReadByte();
            if (b < 0) return bytes.Count == 0 ? null : Encoding.UTF8.GetString(bytes.ToArray());
            if (b == '\n') return Encoding.UTF8.GetString(bytes.ToArray());
            bytes.Add((byte)b);
        }
    }

    private void Write(string text)
    {
        output.Write(Encoding.UTF8.GetBytes(text));
        output.Flush();
    }
}
