using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Clive.Engine.Scripting;

/// <summary>
/// What defines a compute cell's function, for its key: the statement that declares the cell and,
/// found through Roslyn's semantic model, every declaration of the scripts the function refers to,
/// transitively (helper methods, types, top-level variables and the statements that change them),
/// in every #loaded file. An edit elsewhere in the script (`var unused = 42;`, another cell) leaves
/// the key alone; an edit to a helper the function calls, however indirectly, changes it.
/// </summary>
/// <remarks>
/// Bound from the sources (never run), on a compilation of its own: the emitted assembly may come
/// from the cache, and binding only what the functions reach costs a fraction of a compile.
/// </remarks>
public sealed class FunctionReach
{
    private static readonly HashSet<string> Declarations = ["Command", "Compute", "Service", "Project"];
    private readonly ScriptSources _sources;
    private readonly Lazy<CSharpCompilation> _compilation;
    private readonly Dictionary<SyntaxTree, SemanticModel> _models = [];
    private Dictionary<ISymbol, List<MemberDeclarationSyntax>>? _mentions;

    public FunctionReach(ScriptSources sources)
    {
        _sources = sources;
        _compilation = new(() => ScriptCompiler.CreateCompilation(sources));
    }

    /// <summary>The text that defines the compute cell declared at <paramref name="line"/> of <paramref name="path"/>.</summary>
    public string Describe(string path, int line)
    {
        var tree = _compilation.Value.SyntaxTrees.FirstOrDefault(t => t.FilePath == path);
        var statement = tree is null ? null : MemberAt(tree, line);
        // Not found (a cell declared from code the model API runs for it): everything it could reach, as before narrowing.
        if (tree is null || statement is null) return $"{path}:{line}\n" + EverythingButCells();
        var reached = Reach((SyntaxNode?)FunctionOf(statement, line) ?? statement, statement);
        var text = new StringBuilder(statement.ToString()).Append('\n');
        foreach (var member in reached.OrderBy(m => m.SyntaxTree.FilePath, StringComparer.Ordinal).ThenBy(m => m.SpanStart))
            text.Append(member.SyntaxTree.FilePath).Append(": ").Append(member.ToString()).Append('\n');
        return text.ToString();
    }

    /// <summary>The top-level members <paramref name="root"/> refers to, and those they refer to, but <paramref name="own"/>.</summary>
    private HashSet<MemberDeclarationSyntax> Reach(SyntaxNode root, MemberDeclarationSyntax own)
    {
        var reached = new HashSet<MemberDeclarationSyntax>();
        var pending = new Stack<SyntaxNode>([root]);
        while (pending.TryPop(out var node))
        {
            var model = ModelOf(node.SyntaxTree);
            foreach (var reference in node.DescendantNodesAndSelf().Where(n => n is SimpleNameSyntax or BaseObjectCreationExpressionSyntax))
            {
                foreach (var symbol in SymbolsOf(model, reference))
                {
                    foreach (var declaration in symbol.DeclaringSyntaxReferences)
                    {
                        if (TopLevel(declaration.GetSyntax()) is not { } member || member == own) continue;
                        if (reached.Add(member)) pending.Push(member);
                    }
                    // A top-level variable is also what the statements that change it make of it.
                    if (IsScriptVariable(symbol))
                        foreach (var member in Mentions(symbol))
                            if (member != own && reached.Add(member)) pending.Push(member);
                }
            }
        }
        return reached;
    }

    private static IEnumerable<ISymbol> SymbolsOf(SemanticModel model, SyntaxNode node)
    {
        var info = model.GetSymbolInfo(node);
        var symbols = info.Symbol is { } symbol ? [symbol] : info.CandidateSymbols.AsEnumerable();
        foreach (var found in symbols)
        {
            yield return found is IMethodSymbol { ReducedFrom: { } extension } ? extension.OriginalDefinition : found.OriginalDefinition;
            // A type's implicit constructor has no syntax of its own: the type's declaration stands for it.
            if (found is IMethodSymbol { MethodKind: MethodKind.Constructor, IsImplicitlyDeclared: true } constructor) yield return constructor.ContainingType;
        }
    }

    private static bool IsScriptVariable(ISymbol symbol) => symbol is IFieldSymbol { ContainingType.IsScriptClass: true } or ILocalSymbol;

    /// <summary>The top-level statements of every script that mention a symbol, except those declaring cells (their own keys cover them).</summary>
    private IEnumerable<MemberDeclarationSyntax> Mentions(ISymbol symbol)
    {
        if (_mentions is null)
        {
            _mentions = new(SymbolEqualityComparer.Default);
            foreach (var tree in _compilation.Value.SyntaxTrees)
            {
                var model = ModelOf(tree);
                foreach (var member in tree.GetCompilationUnitRoot().Members.Where(m => m is GlobalStatementSyntax or FieldDeclarationSyntax && !DeclaresCell(m)))
                    foreach (var mentioned in member.DescendantNodes().OfType<SimpleNameSyntax>().SelectMany(n => SymbolsOf(model, n)).Where(IsScriptVariable).Distinct(SymbolEqualityComparer.Default))
                    {
                        if (!_mentions.TryGetValue(mentioned!, out var members)) _mentions[mentioned!] = members = [];
                        members.Add(member);
                    }
            }
        }
        return _mentions.TryGetValue(symbol, out var found) ? found : [];
    }

    private SemanticModel ModelOf(SyntaxTree tree)
    {
        if (!_models.TryGetValue(tree, out var model)) _models[tree] = model = _compilation.Value.GetSemanticModel(tree);
        return model;
    }

    /// <summary>The member of the compilation unit that holds <paramref name="node"/>: a statement, method, type or variable of the script.</summary>
    private static MemberDeclarationSyntax? TopLevel(SyntaxNode node)
        => node.AncestorsAndSelf().OfType<MemberDeclarationSyntax>().LastOrDefault(m => m.Parent is CompilationUnitSyntax);

    private static MemberDeclarationSyntax? MemberAt(SyntaxTree tree, int line)
        => tree.GetCompilationUnitRoot().Members.FirstOrDefault(member =>
        {
            var span = member.GetLocation().GetLineSpan();
            return span.StartLinePosition.Line + 1 <= line && line <= span.EndLinePosition.Line + 1;
        });

    /// <summary>
    /// The function passed to the `Compute(…)` call made at <paramref name="line"/> (the line the
    /// model API records, that of the method's name), or null when the statement holds no such call.
    /// </summary>
    private static ExpressionSyntax? FunctionOf(MemberDeclarationSyntax statement, int line)
    {
        var calls = statement.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Where(call => NameOf(call) is { Identifier.ValueText: "Compute" } && call.ArgumentList.Arguments.Count >= 2).ToList();
        var call = calls.FirstOrDefault(c => NameOf(c)!.GetLocation().GetLineSpan().StartLinePosition.Line + 1 == line) ?? (calls.Count == 1 ? calls[0] : null);
        if (call is null) return null;
        var arguments = call.ArgumentList.Arguments;
        return (arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "function") ?? arguments[1]).Expression;
    }

    private static SimpleNameSyntax? NameOf(InvocationExpressionSyntax call) => call.Expression switch
    {
        MemberAccessExpressionSyntax access => access.Name,
        SimpleNameSyntax name => name,
        _ => null,
    };

    /// <summary>Every top-level statement and member that declares no cell, in every file: what a function might reach when it cannot be found.</summary>
    private string EverythingButCells()
    {
        var text = new StringBuilder();
        foreach (var (path, tree) in _sources.Trees.OrderBy(t => t.Key, StringComparer.Ordinal))
            foreach (var member in tree.GetCompilationUnitRoot().Members)
                if (!DeclaresCell(member)) text.Append(path).Append(": ").Append(member.ToString()).Append('\n');
        return text.ToString();
    }

    private static bool DeclaresCell(MemberDeclarationSyntax member)
        => member is GlobalStatementSyntax && member.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(i => NameOf(i) is { } name
            && Declarations.Contains(name.Identifier.ValueText));
}
