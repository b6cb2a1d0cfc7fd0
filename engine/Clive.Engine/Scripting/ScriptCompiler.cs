using System.Collections.Immutable;
using Clive.Engine.Graph;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Clive.Engine.Scripting;

/// <summary>
/// Compiles a model script to an assembly with Roslyn. The emitted assembly is cached on disk by a
/// digest of the sources, the model API and the engine (as dotnet-script does), so a restart does
/// not recompile; the metadata references are made once per process, which makes warm compiles fast.
/// </summary>
public sealed class ScriptCompiler(string cacheDirectory)
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(CreateReferences);
    private static readonly string[] Imports = ["System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks", "Clive.Model"];

    public static MetadataReference ModelApi => References.Value[0];

    /// <summary>What compiles and runs a compute cell's function, as fields of its key: a new compiler, runtime or option misses the cache once.</summary>
    public static readonly IReadOnlyList<Clive.Store.Cells.KeyField> KeyFields =
    [
        new("compiler", "", "Roslyn " + typeof(CSharpCompilation).Assembly.GetName().Version),
        new("runtime", "", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription),
        new("compile-options", "", $"{OptimizationLevel.Release} deterministic nullable usings {string.Join(',', Imports)}"),
    ];

    /// <summary>
    /// The assembly for <paramref name="sources"/>, from the cache or compiled now; null when the
    /// script holds no code (only comments, usings, directives): it declares nothing. Throws
    /// <see cref="ModelException"/> with the compiler's errors.
    /// </summary>
    public byte[]? Compile(ScriptSources sources, out bool fromCache)
    {
        var digest = sources.Digest;
        var cached = Path.Combine(cacheDirectory, digest + ".dll");
        if (File.Exists(cached))
        {
            fromCache = true;
            return File.ReadAllBytes(cached);
        }
        fromCache = false;
        var compilation = CreateCompilation(sources);
        using var image = new MemoryStream();
        // Embedded PDB: an exception thrown by a script then names its file and line.
        var emitted = compilation.Emit(image, options: new Microsoft.CodeAnalysis.Emit.EmitOptions(debugInformationFormat: Microsoft.CodeAnalysis.Emit.DebugInformationFormat.Embedded));
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0) throw new ModelException(string.Join('\n', errors.Take(20).Select(Format)));
        if (!emitted.Success)
        {
            // Roslyn fails to emit a script submission with no members and says nothing: a script
            // whose every line is commented out is an empty model, not an error.
            if (compilation.SyntaxTrees.All(tree => tree.GetCompilationUnitRoot().Members.Count == 0)) return null;
            throw new ModelException($"{sources.MainPath}: the compiler failed without naming an error");
        }
        var bytes = image.ToArray();
        Directory.CreateDirectory(cacheDirectory);
        var temporary = cached + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, cached, overwrite: true);
        return bytes;
    }

    /// <summary>The script compilation of <paramref name="sources"/>, the same whether it is emitted or only bound (<see cref="FunctionReach"/>).</summary>
    public static CSharpCompilation CreateCompilation(ScriptSources sources)
    {
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
            usings: Imports, optimizationLevel: OptimizationLevel.Release, concurrentBuild: false, deterministic: true,
            // Annotations on: a stored value's `string Name` is not nullable and `string? Note` is, as the value contract reads them.
            nullableContextOptions: NullableContextOptions.Enable,
            sourceReferenceResolver: new TreeSourceResolver(sources.Texts),
            metadataReferenceResolver: new ModelReferenceResolver(ModelApi));
        return CSharpCompilation.CreateScriptCompilation("clive-model-" + sources.Digest[..16], sources.Main, References.Value, options, returnType: typeof(object));
    }

    /// <summary>"/app/clive.csx(3,9): error CS0103: The name 'x' does not exist in the current context".</summary>
    private static string Format(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetMappedLineSpan();
        var where = span.IsValid ? $"{span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})" : "clive.csx";
        return $"{where}: error {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }

    /// <summary>The framework's assemblies and the model API; nothing of the engine or Roslyn, so a model cannot reach into them.</summary>
    private static ImmutableArray<MetadataReference> CreateReferences()
    {
        var references = ImmutableArray.CreateBuilder<MetadataReference>();
        references.Add(MetadataReference.CreateFromFile(typeof(Clive.Model.Cell).Assembly.Location));
        var platform = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        foreach (var path in platform)
        {
            if (!path.EndsWith(".dll", StringComparison.Ordinal) || Path.GetDirectoryName(path) != frameworkDirectory) continue;
            var name = Path.GetFileNameWithoutExtension(path);
            if (name.StartsWith("System.", StringComparison.Ordinal) || name is "System" or "mscorlib" or "netstandard" or "Microsoft.CSharp" or "Microsoft.Win32.Primitives")
                references.Add(MetadataReference.CreateFromFile(path));
        }
        return references.ToImmutable();
    }
}
