using System.Text;
using Clive.Protocol;

namespace Clive.Remote;

/// <summary>
/// git's side of the conversation with <c>git-remote-clive</c> (gitremote-helpers): we offer
/// only <c>connect</c>, so after one command the pipes carry git's own pack protocol and git
/// runs its full client (negotiation, shallow, leases, atomic, progress) against our server.
/// </summary>
public sealed class RemoteHelper(string url, Stream input, Stream output, string? storeDirectory, string who)
{
    public int Run()
    {
        var address = RemoteAddress.Parse(url);
        if (!address.IsLocal)
            throw new UsageException($"host '{address.Host}': only clive::local/<repo> is available in this version");
        while (ReadLine() is { } line)
        {
            if (line.Length == 0) return 0;
            if (line == "capabilities")
            {
                Write("connect\n\n");
            }
            else if (line.StartsWith("connect ", StringComparison.Ordinal))
            {
                Write("\n");
                return GitService.Serve(line["connect ".Length..], address.Repo, input, output, storeDirectory, who);
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
