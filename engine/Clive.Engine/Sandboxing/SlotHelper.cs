using System.Text;

namespace Clive.Engine.Sandboxing;

/// <summary>The shell text of a slot: the helper's loop, and the file that starts one cell.</summary>
public static class SlotHelper
{
    /// <summary>
    /// Reads a line per cell, runs <c>io/run</c> in a subshell with its output in <c>io/stdout</c>
    /// and <c>io/stderr</c>, then, until /proc shows no process in the pid namespace but bwrap's
    /// init (1) and the helper (<c>$$</c>), kills every other one (kill(-1) walks every process of
    /// the machine, so only when something is left), answers the exit code (nothing of the cell can
    /// write its output any more), then empties POSIX message queues and
    /// System V IPC, and says <c>ready</c>. Only builtins in the loop: no process to start.
    /// </summary>
    public static string Script(string io) => $$"""
        while read -r _; do
          ( . {{io}}/run ) </dev/null >{{io}}/stdout 2>{{io}}/stderr
          code=$?
          while :; do
            left=
            for p in /proc/[0-9]*; do p=${p#/proc/}; [ "$p" = 1 ] || [ "$p" = $$ ] || { left=$p; break; }; done
            [ -z "$left" ] && break
            kill -9 -1 2>/dev/null
          done
          echo "$code"
          for q in /dev/mqueue/*; do [ -e "$q" ] && rm -f /dev/mqueue/*; break; done
          for f in /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg; do
            { read -r _; read -r _; } < $f && { ipcrm --all 2>/dev/null; break; }
          done
          echo ready
        done
        """;

    /// <summary>
    /// The file a cell's subshell sources: into its directory, its environment exported, then its
    /// command exec'd. A one-line script that is a single simple command (words, <c>$NAME</c>) is
    /// exec'd by this shell itself — the same words and expansions <c>/bin/sh -c</c> would make,
    /// one exec fewer; anything else goes to <c>/bin/sh -c</c>. Null when an environment name is no
    /// shell name (the cell then needs a sandbox of its own).
    /// </summary>
    public static string? RunFile(string workingDirectory, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> commandLine, bool shell)
    {
        var text = new StringBuilder();
        text.Append("cd ").Append(Quote(workingDirectory)).Append(" || exit 127\n");
        foreach (var (name, value) in environment)
        {
            if (!IsName(name)) return null;
            text.Append("export ").Append(name).Append('=').Append(Quote(value)).Append('\n');
        }
        text.Append("exec ");
        if (!shell) text.AppendJoin(' ', commandLine.Select(Quote));
        else if (IsSimpleCommand(commandLine[0])) text.Append(commandLine[0]);
        else text.Append("/bin/sh -c ").Append(Quote(commandLine[0]));
        return text.Append('\n').ToString();
    }

    public static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    private static bool IsName(string name)
        => name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>dash's builtins and keywords (but true and false, whose programs do the same): `exec cd` would run nothing at all.</summary>
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
        var plain = System.Text.RegularExpressions.Regex.Replace(script, @"\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*", "v");
        if (!System.Text.RegularExpressions.Regex.IsMatch(plain, @"^ *[A-Za-z0-9_./:,+@%=-]+( +[A-Za-z0-9_./:,+@%=-]+)* *$")) return false;
        var first = script.TrimStart(' ').Split(' ')[0];
        return !first.Contains('=') && !first.Contains('$') && !Builtins.Contains(first);
    }
}
