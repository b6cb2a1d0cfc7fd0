using Clive.Engine.Graph;
using Clive.Engine.Inputs;
using Clive.Engine.Sandboxing;
using Clive.Git;
using Clive.Model;
using Microsoft.CodeAnalysis;

namespace Clive.Engine.Scripting;

/// <summary>A model ready to evaluate: its cells, the entities and remote engines it declares, and the model host that holds its code.</summary>
public sealed class LoadedModel(string digest, CellGraph graph, ModelHost? host, IReadOnlyList<DeclaredEntity>? entities = null,
    IReadOnlyList<Remote.WantedEngine>? engines = null) : IDisposable
{
    public static readonly LoadedModel Empty = new("", CellGraph.Empty, null);

    /// <summary>The entities its scripts declare, with their types' schemas.</summary>
    public IReadOnlyList<DeclaredEntity> Entities { get; } = entities ?? [];

    /// <summary>The engines on other hosts its scripts declare (<c>Engines.On</c>), checked.</summary>
    public IReadOnlyList<Remote.WantedEngine> Engines { get; } = engines ?? [];

    /// <summary>A digest of every script's sources: equal digests are the same model.</summary>
    public string Digest { get; } = digest;
    public CellGraph Graph { get; } = graph;

    /// <summary>Where the model's code runs (compute cells); null for a model without scripts.</summary>
    public ModelHost? Host { get; } = host;

    public void Dispose() => Host?.Dispose();
}

/// <summary>
/// Finds every clive.csx of a tree, compiles each (cached by content), runs them and builds the
/// cell graph. Finding scripts reuses the answer for every subtree whose id did not change.
/// </summary>
public sealed class ModelLoader(TreeReader trees, ScriptCompiler compiler)
{
    public const string ScriptName = "clive.csx";
    private const int MaxCached = 200_000;
    private readonly Dictionary<ObjectId, List<string>> _scriptsBelow = [];
    private readonly Dictionary<(string Path, ObjectId Blob), SyntaxTree> _parsed = [];

    /// <summary>Paths of every clive.csx in the tree ("/clive.csx", "/app/clive.csx").</summary>
    public IReadOnlyList<string> FindScripts(ObjectId root) => Find(root).Select(path => "/" + path).ToList();

    /// <summary>
    /// The scripts below a tree, as paths relative to it, kept per tree: an unchanged subtree is
    /// not walked again, wherever it sits. Walked with its own stack, not by recursion, because a
    /// pushed tree may nest deeper than the thread's stack.
    /// </summary>
    private List<string> Find(ObjectId root)
    {
        if (_scriptsBelow.TryGetValue(root, out var known)) return known;
        var open = new Stack<(ObjectId Tree, string Name, IEnumerator<KeyValuePair<string, TreeEntry>> Entries, List<string> Found)>();
        open.Push((root, "", Ordered(root), []));
        while (true)
        {
            var frame = open.Peek();
            if (frame.Entries.MoveNext())
            {
                var (name, entry) = frame.Entries.Current;
                if (!entry.IsTree)
                {
                    if (name == ScriptName && !entry.IsGitlink) frame.Found.Add(name);
                }
                else if (_scriptsBelow.TryGetValue(entry.Id, out var below))
                {
                    frame.Found.AddRange(below.Select(path => name + "/" + path));
                }
                else
                {
                    open.Push((entry.Id, name, Ordered(entry.Id), []));
                }
                continue;
            }
            open.Pop();
            frame.Entries.Dispose();
            if (_scriptsBelow.Count >= MaxCached) _scriptsBelow.Clear();
            _scriptsBelow[frame.Tree] = frame.Found;
            if (open.Count == 0) return frame.Found;
            open.Peek().Found.AddRange(frame.Found.Select(path => frame.Name + "/" + path));
        }
    }

    private IEnumerator<KeyValuePair<string, TreeEntry>> Ordered(ObjectId tree)
        => trees.Entries(tree).OrderBy(e => e.Key, StringComparer.Ordinal).GetEnumerator();

    /// <summary>A script file parsed once per content: an unchanged model costs no parsing on a new commit.</summary>
    private SyntaxTree Parse(string path, ObjectId blob)
    {
        if (_parsed.TryGetValue((path, blob), out var tree)) return tree;
        if (_parsed.Count >= MaxCached) _parsed.Clear();
        return _parsed[(path, blob)] = ScriptSources.Parse(path, trees.Store.Objects.Read(blob, ObjectType.Blob));
    }

    /// <summary>The sources of every script, and one digest over them all.</summary>
    public (IReadOnlyList<ScriptSources> Sources, string Digest) ReadSources(ObjectId root)
    {
        var sources = FindScripts(root).Select(path => ScriptSources.Read(trees, root, path, Parse)).ToList();
        var digest = string.Join(",", sources.Select(s => s.Digest));
        return (sources, digest);
    }

    /// <summary>
    /// Compiles every script here (compiling runs none of its code), then runs them in a sandboxed
    /// model host, which says what cells they declare; throws <see cref="ModelException"/> with file and line on any error.
    /// </summary>
    public LoadedModel Load(IReadOnlyList<ScriptSources> sources, string digest, Sandbox sandbox)
    {
        if (sources.Count == 0) return new LoadedModel(digest, CellGraph.Empty, null);
        var images = new List<ScriptImage>();
        var errors = new List<string>();
        foreach (var script in sources)
        {
            try
            {
                if (compiler.Compile(script, out _) is { } assembly) images.Add(new ScriptImage { Path = script.MainPath, Assembly = assembly });
            }
            catch (ModelException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0) throw new ModelException(string.Join('\n', errors));
        if (images.Count == 0) return new LoadedModel(digest, CellGraph.Empty, null);
        var (host, declared) = ModelHost.Start(sandbox, images);
        try
        {
            var cells = new List<CellDefinition>();
            var reach = sources.ToDictionary(s => s.MainPath, s => new FunctionReach(s), StringComparer.Ordinal);
            foreach (var message in declared.Cells ?? [])
            {
                var cell = CellDeclarations.Declare(message);
                var script = reach.GetValueOrDefault(message.Script)
                    ?? throw new ModelException($"the model host described cell '{message.Name}' of an unknown script");
                var function = cell.Kind == CellKind.Compute ? script.Describe(cell.DeclaredIn, cell.Line) : null;
                cells.Add(new CellDefinition(cell, function));
            }
            return new LoadedModel(digest, CellGraph.Build(cells), host, Distinct(declared.Entities ?? []), Remote.WantedEngine.Check(declared.Engines ?? []));
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Each entity once: a module loaded by two scripts declares it twice alike; two different declarations are an error.</summary>
    private static List<DeclaredEntity> Distinct(IEnumerable<DeclaredEntity> entities)
    {
        var byName = new Dictionary<string, DeclaredEntity>(StringComparer.Ordinal);
        foreach (var entity in entities)
        {
            if (byName.TryGetValue(entity.Name, out var earlier))
            {
                if (earlier.Schema == entity.Schema && earlier.HasMerge == entity.HasMerge) continue;
                throw new ModelException($"{entity.DeclaredIn}({entity.Line}): entity '{entity.Name}' is already declared at {earlier.DeclaredIn}({earlier.Line})");
            }
            byName[entity.Name] = entity;
        }
        return byName.Values.ToList();
    }
}
