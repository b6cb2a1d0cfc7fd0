namespace Clive.Reapi;

/// <summary>
/// A Remote Execution API server and how to talk to it: <c>grpc://host:port</c> (plain HTTP/2, for
/// loopback and trusted networks) or <c>grpcs://host:port</c> (TLS), the instance name the farm
/// expects, and headers sent with every call (an authorization token, say).
/// </summary>
public sealed record ReapiEndpoint(Uri Address, string Instance, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>How the endpoint is named in messages: its address as the user wrote it.</summary>
    public string Name { get; init; } = Address.ToString();

    public static ReapiEndpoint Parse(string endpoint, string instance = "", IReadOnlyList<string>? headers = null)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "grpc" && uri.Scheme != "grpcs") || uri.Port <= 0
            || uri.AbsolutePath is not ("/" or "") || uri.UserInfo.Length > 0 || uri.Query.Length > 0)
            throw new UsageException($"not a REAPI endpoint: '{Printable.Of(endpoint)}' (grpc://host:port or grpcs://host:port)");
        // Resource names put the instance between slashes: no empty segments, no '..', nothing a server could read as another resource.
        if (instance.Split('/').Any(s => s.Length == 0 || s is "." or ".." or "blobs" or "uploads" || s.Any(char.IsControl)) && instance.Length > 0)
            throw new UsageException($"not a REAPI instance name: '{Printable.Of(instance)}'");
        var parsed = new List<KeyValuePair<string, string>>();
        foreach (var header in headers ?? [])
        {
            int eq = header.IndexOf('=');
            var name = eq <= 0 ? "" : header[..eq].Trim().ToLowerInvariant();
            if (name.Length == 0 || !name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.') || name.EndsWith("-bin", StringComparison.Ordinal)
                || header[(eq + 1)..].Any(c => c < 0x20 || c > 0x7e))
                throw new UsageException($"not a header (name=value, printable ASCII): '{Printable.Of(header)}'");
            parsed.Add(new(name, header[(eq + 1)..]));
        }
        var scheme = uri.Scheme == "grpcs" ? "https" : "http";
        return new ReapiEndpoint(new Uri($"{scheme}://{uri.Authority}"), instance, parsed) { Name = $"{uri.Scheme}://{uri.Authority}" };
    }
}
