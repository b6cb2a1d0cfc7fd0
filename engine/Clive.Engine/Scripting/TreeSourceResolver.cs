using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Clive.Engine.Scripting;

/// <summary>
/// Resolves #load against the tree being evaluated, not the disk: paths are relative to the
/// loading script ("../lib/dotnet.csx"), or from the tree's root with a leading "/".
/// </summary>
internal sealed class TreeSourceResolver(IReadOnlyDictionary<string, string> sources) : SourceReferenceResolver
{
    public static string? Combine(string from, string path)
    {
        try
        {
            var directory = Clive.Model.ModelPaths.DirectoryOf(from);
            return "/" + Clive.Model.ModelPaths.Resolve(directory, path);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public override string? NormalizePath(string path, string? baseFilePath) => baseFilePath is null ? path : Combine(baseFilePath, path);

    public override string? ResolveReference(string path, string? baseFilePath)
    {
        var resolved = baseFilePath is null ? path : Combine(baseFilePath, path);
        return resolved is not null && sources.ContainsKey(resolved) ? resolved : null;
    }

    public override Stream OpenRead(string resolvedPath) => new MemoryStream(Encoding.UTF8.GetBytes(sources[resolvedPath]));

    public override SourceText ReadText(string resolvedPath) => SourceText.From(sources[resolvedPath], Encoding.UTF8);

    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => sources.GetHashCode();
}

/// <summary>
/// `#r "Clive.Model.dll"` (any path ending so: what an editor needs to find the API) is the engine's
/// own copy of the model API; nothing else may be referenced, so a model depends only on its tree.
/// </summary>
internal sealed class ModelReferenceResolver(MetadataReference modelApi) : MetadataReferenceResolver
{
    public override bool Equals(object? other) => ReferenceEquals(this, other);

    public override int GetHashCode() => 1;

    public override bool ResolveMissingAssemblies => false;

    public override PortableExecutableReference? ResolveMissingAssembly(MetadataReference definition, AssemblyIdentity referenceIdentity) => null;

    public override System.Collections.Immutable.ImmutableArray<PortableExecutableReference> ResolveReference(string reference, string? baseFilePath, MetadataReferenceProperties properties)
        => Path.GetFileName(reference).Equals("Clive.Model.dll", StringComparison.OrdinalIgnoreCase) || reference.Equals("Clive.Model", StringComparison.OrdinalIgnoreCase)
            ? [(PortableExecutableReference)modelApi]
            : [];
}
