using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// The engine's side of the slot helper (<c>clive-slot</c>, built from Helper/clive-slot.c next to
/// the engine): where it is, and the requests it reads — a 4-byte little-endian length, then the
/// working directory, the number of environment entries, the entries and the argv, each ending in
/// NUL. It answers a line with the exit code, then <c>ready</c> once the slot is clean.
/// </summary>
public static partial class SlotHelper
{
    public const string FileName = "clive-slot";

    /// <summary>The helper built next to the engine's assemblies (absent in a build made without a C compiler).</summary>
    public static string Binary => Path.Combine(AppContext.BaseDirectory, FileName);

    /// <summary>
    /// The request that runs a cell's command in <paramref name="workingDirectory"/> with
    /// <paramref name="environment"/> set. A shell line that is a single simple command (words,
    /// <c>$NAME</c> of the cell's environment) is expanded here, exactly as <c>/bin/sh -c</c> would,
    /// and started without a shell; anything else goes to <c>/bin/sh -c</c>. Null when something
    /// cannot be passed to a program (a NUL, a <c>=</c> in a name): the cell then needs a sandbox of its own.
    /// </summary>
    public static byte[]? Request(string workingDirectory, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> commandLine, bool shell)
    {
        if (environment.Keys.Any(name => name.Length == 0 || name.Contains('='))) return null;
        IReadOnlyList<string> argv = !shell ? commandLine : (SimpleCommandWords(commandLine[0], environment) ?? ["/bin/sh", "-c", commandLine[0]]);
        if (argv.Count == 0) return null;
        string[] strings = [workingDirectory, environment.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. environment.Select(e => e.Key + "=" + e.Value), .. argv];
        if (strings.Any(s => s.Contains('\0'))) return null;
        var payload = Encoding.UTF8.GetBytes(string.Concat(strings.Select(s => s + "\0")));
        var request = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(request, payload.Length);
        payload.CopyTo(request, 4);
        return request;
    }

    /// <summary>
    /// The words <c>/bin/sh -c</c> would run for a simple command, or null when it is not one or
    /// when a shell might do more with it: a variable the cell's environment does not set (the
    /// shell has its own, <c>$PWD</c>…), or a value it would split or glob.
    /// </summary>
    public static IReadOnlyList<string>? SimpleCommandWords(string script, IReadOnlyDictionary<string, string> environment)
    {
        if (!IsSimpleCommand(script)) return null;
        var words = new List<string>();
        foreach (var word in script.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var unknown = false;
            var expanded = Variable().Replace(word, match =>
            {
                var name = match.Groups["braced"].Success ? match.Groups["braced"].Value : match.Groups["plain"].Value;
                if (environment.TryGetValue(name, out var value) && value.IndexOfAny([' ', '\t', '\n', '*', '?', '[']) < 0) return value;
                unknown = true;
                return "";
            });
            if (unknown) return null;
            if (expanded.Length > 0) words.Add(expanded); // an unquoted empty expansion is no word at all
        }
        return words; // the first word is the program's name, never empty
    }

    /// <summary>dash's builtins and keywords (but true and false, whose programs do the same): a program of that name is not what the shell would run.</summary>
    private static readonly HashSet<string> Builtins =
    [
        ".", ":", "[", "alias", "bg", "break", "cd", "chdir", "command", "continue", "echo", "eval", "exec", "exit", "export", "fc", "fg",
        "getopts", "hash", "jobs", "kill", "local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "times", "trap",
        "type", "ulimit", "umask", "unalias", "unset", "wait", "if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do",
        "done", "in", "{", "}", "!",
    ];

    /// <summary>Words of plain characters and <c>$NAME</c> / <c>${NAME}</c>, the first a program's name.</summary>
    public static bool IsSimpleCommand(string script)
    {
        var plain = Variable().Replace(script, "v");
        if (!PlainWords().IsMatch(plain)) return false;
        var first = script.TrimStart(' ').Split(' ')[0];
        return !first.Contains('=') && !first.Contains('$') && !Builtins.Contains(first);
    }

    [GeneratedRegex(@"\$\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|\$(?<plain>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^ *[A-Za-z0-9_./:,+@%=-]+( +[A-Za-z0-9_./:,+@%=-]+)* *$")]
    private static partial Regex PlainWords();
}
