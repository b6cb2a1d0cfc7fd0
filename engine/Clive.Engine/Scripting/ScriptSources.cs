using System.Security.Cryptography;
using System.Text;
using Clive.Engine.Graph;
using Clive.Engine.Inputs;
using Clive.Git;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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

    private readonly Lazy<IReadOnlyDictionary<string, string>> _texts;

    private ScriptSources(string main, IReadOnlyDictionary<string, (ObjectId Blob, SyntaxTree Tree)> files)
    {
        MainPath = main;
        Trees = files.ToDictionary(f => f.Key, f => f.Value.Tree, StringComparer.Ordinal);
        _texts = new(() => Trees.ToDictionary(t => t.Key, t => t.Value.GetText().ToString(), StringComparer.Ordinal));
        // Blob ids are hashes of the content: with the paths, the model API and the engine they say
        // everything the compiled assembly depends on, without hashing a byte of source again.
        var digest = new StringBuilder(CellDefinition.EngineVersion).Append('\n').Append(typeof(Clive.Model.Cell).Assembly.ManifestModule.ModuleVersionId).Append('\n');
        foreach (var (path, file) in files.OrderBy(f => f.Key, StringComparer.Ordinal)) digest.Append(path).Append(' ').Append(file.Blob).Append('\n');
        Digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(digest.ToString())));
    }

    /// <summary>The root script's path in the tree ("/app/clive.csx").</summary>
    public string MainPath { get; }

    /// <summary>Every parsed file by path.</summary>
    public IReadOnlyDictionary<string, SyntaxTree> Trees { get; }

    public SyntaxTree Main => Trees[MainPath];

    /// <summary>What the compiled assembly depends on: the compile cache's key.</summary>
    public string Digest { get; }

    /// <summary>Sources by path, for the compiler's #load resolver.</summary>
    public IReadOnlyDictionary<string, string> Texts => _texts.Value;

    /// <summary>
    /// Reads <paramref name="main"/> and, transitively, what it #loads; <paramref name="parse"/> turns
    /// a file into a syntax tree (the loader keeps them by blob id). A missing file is left to the compiler to report.
    /// </summary>
    public static ScriptSources Read(TreeReader trees, ObjectId root, string main, Func<string, ObjectId, SyntaxTree> parse)
    {
        var files = new Dictionary<string, (ObjectId, SyntaxTree)>(StringComparer.Ordinal);
        var pending = new Queue<string>([main]);
        while (pending.TryDequeue(out var path))
        {
            if (files.ContainsKey(path)) continue;
            if (trees.Find(root, path.TrimStart('/')) is not { } entry || entry.IsTree || entry.IsGitlink) continue;
            var tree = parse(path, entry.Id);
            files[path] = (entry.Id, tree);
            foreach (var load in tree.GetCompilationUnitRoot().GetLoadDirectives())
                if (TreeSourceResolver.Combine(path, load.File.ValueText) is { } target) pending.Enqueue(target);
        }
        return new ScriptSources(main, files);
    }

    public static SyntaxTree Parse(string path, byte[] content)
        => CSharpSyntaxTree.ParseText(SourceText.From(content, content.Length, Encoding.UTF8), ParseOptions, path);
}
