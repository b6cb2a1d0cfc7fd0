namespace Clive.Remote;

/// <summary><c>[user@]host[:port]</c> or an ssh_config alias, as the host part of a clive URL.</summary>
public sealed record SshDestination(string Host, int? Port)
{
    public static SshDestination Parse(string text)
    {
        string host = text;
        int? port = null;
        int colon = text.LastIndexOf(':');
        bool bracketed = text.Contains('[');
        if (colon > 0 && (!bracketed || text[colon - 1] == ']'))
        {
            if (!int.TryParse(text[(colon + 1)..], out int p) || p is <= 0 or > 65535)
                throw new UsageException($"'{Printable.Of(text)}': the port after ':' must be a number from 1 to 65535");
            host = text[..colon];
            port = p;
        }
        host = host.Replace("[", "").Replace("]", "");
        // ssh would read a leading '-' as an option: a host can never start with one.
        if (host.Length == 0 || host[0] == '-' || host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new UsageException($"'{Printable.Of(text)}' is not a valid SSH destination");
        return new SshDestination(host, port);
    }

    /// <summary>As written in a clive URL: host, and ":port" when one was given.</summary>
    public string Text => Port is { } port ? (Host.Contains(':') ? $"[{Host}]:{port}" : $"{Host}:{port}") : Host;

    public override string ToString() => Text;
}
