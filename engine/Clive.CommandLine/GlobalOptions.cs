using System.CommandLine;
using Clive.Store;

namespace Clive.CommandLine;

public static class GlobalOptions
{
    public static readonly Option<string?> Store = new("--store")
    {
        Description = "The store directory (default: $CLIVE_STORE, else ${XDG_DATA_HOME:-~/.local/share}/clive)",
        Recursive = true,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON for scripts" };

    /// <summary>Opens an existing store: a command that only reads must not conjure an empty one.</summary>
    public static CliveStore OpenStore(ParseResult result) => CliveStore.Open(result.GetValue(Store), create: false);

    /// <summary>Opens the store, creating it on first use.</summary>
    public static CliveStore OpenOrCreateStore(ParseResult result) => CliveStore.Open(result.GetValue(Store), create: true);
}
