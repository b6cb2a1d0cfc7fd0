using System.CommandLine;
using System.Text.RegularExpressions;

namespace Clive.CommandLine;

/// <summary>
/// System.CommandLine lists a subcommand as <c>log &lt;repo&gt; &lt;ref&gt;</c> even when the ref may be
/// left out (its own usage line says <c>[&lt;ref&gt;]</c>), and its help builder cannot be customized
/// from outside. This rewrites those labels in the help text, keeping the columns aligned, so the list
/// says what git's help would.
/// </summary>
internal static class OptionalArgumentLabels
{
    public static string Apply(Command root, string help)
    {
        foreach (var command in Descendants(root).Where(c => c.Arguments.Any(IsOptional)))
        {
            var shown = Label(command, a => $"<{a.Name}>");
            var meant = Label(command, a => IsOptional(a) ? $"[<{a.Name}>]" : $"<{a.Name}>");
            var grow = meant.Length - shown.Length;
            // "  log <repo> <ref>      Show…": take the label and the padding after it, give back the
            // corrected label and as much less padding as it grew (at least two spaces remain).
            help = Regex.Replace(help, $@"(?m)^(\s+){Regex.Escape(shown)}( +)(?=\S)",
                m => m.Groups[1].Value + meant + new string(' ', Math.Max(2, m.Groups[2].Length - grow)));
        }
        return help;
    }

    private static string Label(Command command, Func<Argument, string> label)
        => string.Join(' ', command.Arguments.Where(a => !a.Hidden).Select(label).Prepend(command.Name));

    private static bool IsOptional(Argument argument) => argument.Arity.MinimumNumberOfValues == 0;

    private static IEnumerable<Command> Descendants(Command command)
        => command.Subcommands.SelectMany(c => Descendants(c).Prepend(c));
}
