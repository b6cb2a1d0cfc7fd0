using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Clive.Core.Store.Engines;

/// <summary>
/// What an engine may advertise as a label, one rule for every way a label arrives: `clive up
/// --label`, the `engine-up` verb over SSH, a model's <c>Engines.On(…, labels: …)</c>. A label ends
/// up in an ssh command line and in other hosts' adverts: plain words only.
/// </summary>
public static partial class EngineLabels
{
    public const string Rule = "letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit";

    public static bool IsValid(string label) => LabelPattern().IsMatch(label);

    /// <summary>The label, or a usage error naming it (printably) and the rule.</summary>
    public static string Check(string label)
        => IsValid(label) ? label : throw new UsageException($"invalid label '{Clive.Printable.Of(label)}': {Rule}");

    /// <summary>
    /// The labels to advertise: this machine's os-arch (<c>linux-x64</c>, as a .NET runtime
    /// identifier names it, so a model can ask for the platform its build targets) and the owner's.
    /// </summary>
    public static IReadOnlyList<string> WithPlatform(IEnumerable<string> given)
    {
        var labels = new List<string> { Platform() };
        foreach (var label in given)
            if (!labels.Contains(Check(label))) labels.Add(label);
        return labels;
    }

    public static string Platform()
    {
        var os = OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsMacOS() ? "osx" : OperatingSystem.IsFreeBSD() ? "freebsd" : OperatingSystem.IsWindows() ? "win" : "unknown";
        return $"{os}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex LabelPattern();
}
