using Clive.Core.Values;
using Clive.Store;

namespace Clive.Core.Store.Entities;

/// <summary>An entity's declared type: its schema, whether the model merges diverged versions, and which model said so.</summary>
/// <param name="DeclaredBy">The model that declared it: <c>&lt;branch&gt;@&lt;commit&gt;</c>.</param>
public sealed record EntityTypeDeclaration(string Repo, string Name, string SchemaJson, bool HasMerge, string DeclaredBy, DateTimeOffset Updated)
{
    public ValueSchema Schema => ValueSchema.Parse(SchemaJson);
}

/// <summary>
/// The types models declare for their entities (table <c>entity_types</c>), written by the engine
/// when it loads a model, read by <c>clive entity set</c>, the mount and receive-pack, none of which
/// run model code. Which model wins when branches disagree is the engine's choice; this keeps the last word.
/// </summary>
public sealed class EntityTypes(CliveStore store)
{
    // Store schema version 7.
    internal const string Schema = """
        CREATE TABLE entity_types(
            repo TEXT NOT NULL,
            name TEXT NOT NULL,
            schema_json TEXT NOT NULL,
            has_merge INTEGER NOT NULL,
            declared_by TEXT NOT NULL,
            updated INTEGER NOT NULL,
            PRIMARY KEY(repo, name)) WITHOUT ROWID;
        """;

    /// <summary>Records (or replaces) the type of entity <paramref name="name"/>; the schema must parse.</summary>
    /// <exception cref="ValueFormatException">The schema is not one.</exception>
    public void Declare(string repo, string name, string schemaJson, bool hasMerge, string declaredBy)
    {
        repo = Clive.Store.Repos.RepoName.Normalize(repo);
        EntityName.Check(name);
        ValueSchema.Parse(schemaJson);
        using var transaction = store.BeginWrite();
        store.Connection.Execute("""
            INSERT OR REPLACE INTO entity_types(repo, name, schema_json, has_merge, declared_by, updated)
            VALUES($repo, $name, $schema, $merge, $by, $now)
            """, ("$repo", repo), ("$name", name), ("$schema", schemaJson), ("$merge", hasMerge ? 1 : 0),
            ("$by", declaredBy), ("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        transaction.Commit();
    }

    /// <summary>Forgets a declaration (the model no longer declares the entity).</summary>
    public void Forget(string repo, string name)
    {
        using var transaction = store.BeginWrite();
        store.Connection.Execute("DELETE FROM entity_types WHERE repo=$repo AND name=$name",
            ("$repo", Clive.Store.Repos.RepoName.Normalize(repo)), ("$name", name));
        transaction.Commit();
    }

    /// <summary>Forgets every declaration of a repo, inside the caller's transaction (the repo's deletion).</summary>
    internal void ForgetRepo(string repo) =>
        store.Connection.Execute("DELETE FROM entity_types WHERE repo=$repo", ("$repo", Clive.Store.Repos.RepoName.Normalize(repo)));

    public EntityTypeDeclaration? Find(string repo, string name) =>
        Select("WHERE repo=$repo AND name=$name", ("$repo", Clive.Store.Repos.RepoName.Normalize(repo)), ("$name", name)).FirstOrDefault();

    public IReadOnlyList<EntityTypeDeclaration> List(string repo) =>
        Select("WHERE repo=$repo ORDER BY name", ("$repo", Clive.Store.Repos.RepoName.Normalize(repo)));

    private List<EntityTypeDeclaration> Select(string where, params (string, object?)[] parameters) =>
        store.Connection.Rows($"SELECT repo, name, schema_json, has_merge, declared_by, updated FROM entity_types {where}", parameters)
            .Select(r => new EntityTypeDeclaration(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3) != 0, r.GetString(4),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5))))
            .ToList();
}
