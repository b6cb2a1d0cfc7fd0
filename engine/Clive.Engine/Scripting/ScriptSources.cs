using System.Text;
using Clive.Engine.Inputs;
using Clive.Git;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Clive.Engine.Scripting;

/// <summary>
/// One clive.csx of a tree and every file it #loads, read from the store and parsed: enough to
/// know its digest (the compile cache key) before compiling anything.
/// </summary>
public sealed class ScriptSources
{
    public static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default
        .WithKind(SourceCodeKind.Script).WithLanguageVersion(LanguageVersion.Latest);

    private ScriptSources(string main, IReadOnlyDictionary<string, SyntaxTree> trees)
    {
        MainPath = main;
        Trees = trees;
    }

    /// <summary>The root script's path in the tree ("/app/clive.csx").</summary>
    public string MainPath { get; }

    /// <summary>Every parsed file by path, the root script first.</summary>
    public IReadOnlyDictionary<string, SyntaxTree> Trees { get; }

    public SyntaxTree Main => Trees[MainPath];

    /// <summary>Reads <paramref name="main"/> and, transitively, what it #loads. A missing file is left to the compiler to report.</summary>
    public static ScriptSources Read(TreeReader trees, ObjectId root, string main)
    {
        var parsed = new Dictionary<string, SyntaxTree>(StringComparer.Ordinal);
        var pending = new Queue<string>([main]);
        while (pending.TryDequeue(out var path))
        {
            if (parsed.ContainsKey(path)) continue;
            if (ReadText(trees, root, path) is not { } text) continue;
            var tree = CSharpSyntaxTree.ParseText(SourceText.From(text, Encoding.UTF8), ParseOptions, path);
            parsed[path] = tree;
            foreach (var load in tree.GetCompilationUnitRoot().GetLoadDirectives())
                if (TreeSourceResolver.Combine(path, load.File.ValueText) is { } target) pending.Enqueue(target);
        }
        return new ScriptSources(main, parsed);
    }

    public static string? ReadText(TreeReader trees, ObjectId root, string path)
    {
        if (trees.Find(root, path.TrimStart('/')) is not { } entry || entry.IsTree || entry.IsGitlink) return null;
        return Encoding.UTF8.GetString(trees.Store.Objects.Read(entry.Id, ObjectType.Blob));
    }

    /// <summary>Sources by path, for the compiler's #load resolver.</summary>
    public IReadOnlyDictionary<string, string> Texts => Trees.ToDictionary(t => t.Key, t => t.Value.GetText().ToString(), StringComparer.Ordinal);

    /// <summary>
    /// What defines a compute cell besides its own statement: every top-level statement and member
    /// that declares no cell (helper methods, constants, captured variables), in every file.
    /// </summary>
    public string HelperText()
    {
        var text = new StringBuilder();
        foreach (var (path, tree) in Trees.OrderBy(t => t.Key, StringComparer.Ordinal))
            foreach (var member in tree.GetCompilationUnitRoot().Members)
                if (!DeclaresCell(member)) text.Append(path).Append(": ").Append(member.ToString()).Append('\n');
        return text.ToString();
    }

    /// <summary>The top-level statement holding the call at <paramref name="line"/> of <paramref name="path"/>.</summary>
    public string? StatementAt(string path, int line)
    {
        if (!Trees.TryGetValue(path, out var tree)) return null;
        foreach (var member in tree.GetCompilationUnitRoot().Members)
        {
            var span = member.GetLocation().GetLineSpan();
            if (span.StartLinePosition.Line + 1 <= line && line <= span.EndLinePosition.Line + 1) return member.ToString();
        }
        return null;
    }

    private static readonly HashSet<string> Declarations = ["Command", "Compute", "Service", "Project"];

    private static bool DeclaresCell(MemberDeclarationSyntax member)
        => member is GlobalStatementSyntax && member.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i => i.Expression switch
        {
            MemberAccessExpressionSyntax access => Declarations.Contains(access.Name.Identifier.ValueText),
            IdentifierNameSyntax name => Declarations.Contains(name.Identifier.ValueText),
            _ => false,
        });
}
