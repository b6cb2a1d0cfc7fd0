using System.CommandLine;
using Clive.Store;

namespace Clive.Cli;

internal static class GlobalOptions
{
    public static readonly Option<string?> Store = new("--store")
    {
        Description = "The store directory (default: $CLIVE_STORE, else ${XDG_DATA_HOME:-~/.local/share}/clive)",
        Recursive = true,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON for scripts" };

    public static CliveStore OpenStore(ParseResult result) => CliveStore.Open(result.GetValue(Store));
}
