using MessagePack;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// What the engine asks its model host: load the model, run a compute cell, cancel a run, answer a
/// run's request for an entity it follows, or merge two versions of an entity.
/// </summary>
[MessagePackObject]
public sealed class HostRequest
{
    public const string Load = "load";
    public const string Compute = "compute";
    public const string Cancel = "cancel";
    public const string Followed = "followed";
    public const string Merge = "merge";

    [Key(0)] public int Id { get; set; }
    [Key(1)] public string Kind { get; set; } = "";
    /// <summary>Load: each script's compiled assembly.</summary>
    [Key(2)] public List<ScriptImage>? Scripts { get; set; }
    /// <summary>Compute: the cell's full name.</summary>
    [Key(3)] public string? Cell { get; set; }
    /// <summary>Compute: the cell's input files by their path in its tree, as the engine read them from the store.</summary>
    [Key(4)] public Dictionary<string, byte[]>? Files { get; set; }
    /// <summary>Compute: the values of the cells it reads.</summary>
    [Key(5)] public Dictionary<string, byte[]?>? Values { get; set; }
    /// <summary>Compute: the values (clive value MessagePack) of the entities it reads, by name; null for one with no version yet.</summary>
    [Key(6)] public Dictionary<string, byte[]?>? Entities { get; set; }
    /// <summary>Followed: which of the run's follow requests this answers.</summary>
    [Key(7)] public int FollowId { get; set; }
    /// <summary>Followed: the entity's value. Merge: the ancestor's (null when the versions share none).</summary>
    [Key(8)] public byte[]? Value { get; set; }
    /// <summary>Followed: why the entity cannot be followed (it does not exist).</summary>
    [Key(9)] public string? Error { get; set; }
    /// <summary>Merge: the entity's name (<see cref="Cell"/> is unused); ours and theirs.</summary>
    [Key(10)] public string? Entity { get; set; }
    [Key(11)] public byte[]? Ours { get; set; }
    [Key(12)] public byte[]? Theirs { get; set; }
    /// <summary>Compute: the cell's own address ("repo@branch:cell"), against which references to cells of its model resolve.</summary>
    [Key(13)] public string? Home { get; set; }
}

[MessagePackObject]
public sealed class ScriptImage
{
    [Key(0)] public string Path { get; set; } = "";
    [Key(1)] public byte[] Assembly { get; set; } = [];
}

/// <summary>The host's answer to the request with the same id.</summary>
[MessagePackObject]
public sealed class HostReply
{
    [Key(0)] public int Id { get; set; }
    /// <summary>Load: what is wrong with the model (file and line). Compute: why the function failed.</summary>
    [Key(1)] public string? Error { get; set; }
    [Key(2)] public List<CellMessage>? Cells { get; set; }
    [Key(3)] public byte[]? Value { get; set; }
    [Key(4)] public Dictionary<string, byte[]>? Written { get; set; }
    [Key(5)] public string? Log { get; set; }
    [Key(6)] public bool Cancelled { get; set; }
    /// <summary>Load: the entities the scripts declare.</summary>
    [Key(7)] public List<DeclaredEntity>? Entities { get; set; }
    /// <summary>Compute: the new versions of entities the cell maintains, by name. Merge: the merged value is <see cref="Value"/>.</summary>
    [Key(8)] public Dictionary<string, byte[]>? Sets { get; set; }
    /// <summary>
    /// Not an answer but a question from a running compute cell (<see cref="Id"/> is its request's):
    /// the value of the entity it follows. The engine answers with a <see cref="HostRequest.Followed"/> request.
    /// </summary>
    [Key(9)] public string? Follow { get; set; }
    [Key(10)] public int FollowId { get; set; }
    /// <summary>Merge: the merge function found the versions in conflict, for this reason.</summary>
    [Key(11)] public string? Conflict { get; set; }
    /// <summary>Load: the engines on other hosts the scripts declare (unchecked: the engine checks them).</summary>
    [Key(12)] public List<DeclaredEngine>? Engines { get; set; }
}

/// <summary>A declared remote engine (<c>Engines.On</c>) as the model host saw it: hostile until checked.</summary>
[MessagePackObject]
public sealed class DeclaredEngine
{
    [Key(0)] public string Destination { get; set; } = "";
    [Key(1)] public List<string> Labels { get; set; } = [];
    [Key(2)] public string? Repo { get; set; }
    [Key(3)] public int? Jobs { get; set; }
    [Key(4)] public string DeclaredIn { get; set; } = "";
    [Key(5)] public int Line { get; set; }
}

/// <summary>A declared entity as data: its name, its type's schema (JSON, see ValueSchemas) and whether the model merges it.</summary>
[MessagePackObject]
public sealed class DeclaredEntity
{
    [Key(0)] public string Name { get; set; } = "";
    [Key(1)] public string TypeName { get; set; } = "";
    [Key(2)] public string Schema { get; set; } = "";
    [Key(3)] public bool HasMerge { get; set; }
    [Key(4)] public string DeclaredIn { get; set; } = "";
    [Key(5)] public int Line { get; set; }
}

/// <summary>A declared cell as data: everything the engine keys and runs it by, nothing executable.</summary>
[MessagePackObject]
public sealed class CellMessage
{
    [Key(0)] public string Kind { get; set; } = "";
    [Key(1)] public string Name { get; set; } = "";
    [Key(2)] public string DeclaredIn { get; set; } = "";
    [Key(3)] public int Line { get; set; }
    [Key(4)] public List<InputMessage> Inputs { get; set; } = [];
    [Key(5)] public long? PeriodTicks { get; set; }
    [Key(6)] public List<string> CommandLine { get; set; } = [];
    [Key(7)] public bool UsesShell { get; set; }
    [Key(8)] public Dictionary<string, string> Environment { get; set; } = [];
    [Key(9)] public List<string> Outputs { get; set; } = [];
    [Key(10)] public long? TimeoutTicks { get; set; }
    [Key(11)] public bool UsesNetwork { get; set; }
    [Key(12)] public long? GraceTicks { get; set; }
    /// <summary>The script (its main file) whose run declared the cell: its helpers are part of a compute cell's definition.</summary>
    [Key(13)] public string Script { get; set; } = "";
    /// <summary>A compute cell: the entities it maintains.</summary>
    [Key(14)] public List<string> Maintains { get; set; } = [];
    /// <summary>A command cell: the labels of the engines it may run on (<c>.On</c>).</summary>
    [Key(15)] public List<string> Placement { get; set; } = [];
    /// <summary>A compute cell whose value lists engines it wants on other hosts (<c>.StartsEngines()</c>).</summary>
    [Key(16)] public bool StartsEngines { get; set; }
}

[MessagePackObject]
public sealed class InputMessage
{
    public const string FilesKind = "files";
    public const string CellKind = "cell";
    public const string RefKind = "ref";
    /// <summary>An entity of the repo: its name in <see cref="Cell"/>, where its JSON goes in <see cref="At"/>.</summary>
    public const string EntityKind = "entity";

    [Key(0)] public string Kind { get; set; } = "";
    [Key(1)] public List<string> Globs { get; set; } = [];
    [Key(2)] public string Cell { get; set; } = "";
    [Key(3)] public string At { get; set; } = "";
    [Key(4)] public string Repo { get; set; } = "";
    [Key(5)] public string Ref { get; set; } = "";
    [Key(6)] public string Glob { get; set; } = "";
}

/// <summary>
/// Frames on the host's pipes: a 4-byte big-endian length, then a MessagePack message. The host
/// runs model code, so what it sends is read as hostile: lengths are capped and a bad frame ends
/// the conversation.
/// </summary>
public static class HostChannel
{
    public const int MaxFrame = 512 << 20;

    private static readonly MessageFrames Frames = new("a model host message", MaxFrame, why => new InvalidDataException(why));

    public static void Write<T>(Stream stream, T message) => Frames.Write(stream, message);

    /// <summary>The next message, or null at the end of the stream.</summary>
    public static T? Read<T>(Stream stream) where T : class => Frames.Read<T>(stream);
}

/// <summary>The engine's answer to a followed <see cref="Clive.Model.GitRef"/>: the ref's commit and the files asked for.</summary>
[MessagePackObject]
public sealed class FollowedRef
{
    [Key(0)] public string Commit { get; set; } = "";
    [Key(1)] public Dictionary<string, byte[]> Files { get; set; } = [];
}

/// <summary>
/// What a running cell asks to follow, as its question on the host's pipe carries it: an entity's
/// name (entity names hold no space), "$cell &lt;address&gt;", or "$ref &lt;address&gt;" and, on a second line, the glob of files wanted.
/// </summary>
public sealed record FollowTarget(string Key, string Address, string Glob)
{
    public string Text => Key switch
    {
        Clive.Model.LiveReferences.EntityKey => Address,
        Clive.Model.LiveReferences.CellKey => Key + " " + Address,
        _ => Key + " " + Address + "\n" + Glob,
    };

    public static FollowTarget Parse(string text)
    {
        if (text.StartsWith(Clive.Model.LiveReferences.CellKey + " ", StringComparison.Ordinal))
            return new(Clive.Model.LiveReferences.CellKey, text[(Clive.Model.LiveReferences.CellKey.Length + 1)..], "");
        if (text.StartsWith(Clive.Model.LiveReferences.RefKey + " ", StringComparison.Ordinal))
        {
            var rest = text[(Clive.Model.LiveReferences.RefKey.Length + 1)..];
            int newline = rest.IndexOf('\n');
            return newline < 0 ? new(Clive.Model.LiveReferences.RefKey, rest, "**") : new(Clive.Model.LiveReferences.RefKey, rest[..newline], rest[(newline + 1)..]);
        }
        return new(Clive.Model.LiveReferences.EntityKey, text, "");
    }
}
