using MessagePack;

namespace Clive.Dispatch;

/// <summary>
/// What a dispatching engine asks the engine session of another host (<c>clive serve engine-session
/// &lt;repo&gt;</c>): <see cref="Hello"/> once, then any number of jobs, each <see cref="Job"/> and,
/// when that host lacks objects, <see cref="Objects"/>. Every field is hostile to the side reading it.
/// </summary>
[MessagePackObject]
public sealed class DispatchRequest
{
    public const string Hello = "hello";
    public const string Job = "job";
    public const string Objects = "objects";

    [Key(0)] public string Kind { get; set; } = "";
    /// <summary>Job: the cell's full name, what the claim will name.</summary>
    [Key(1)] public string? Cell { get; set; }
    /// <summary>Job: the key (lower-case hex) the dispatcher computed; the claim is about it.</summary>
    [Key(2)] public string? Key { get; set; }
    /// <summary>Job: the job commit (action and exact input tree), raw id.</summary>
    [Key(3)] public byte[]? Commit { get; set; }
    /// <summary>Job: every object the job commit reaches, raw ids: the other side answers which it lacks.</summary>
    [Key(4)] public List<byte[]>? Closure { get; set; }
    /// <summary>Job: run it when no result is known (false: only ask for a claim).</summary>
    [Key(5)] public bool Run { get; set; }
    /// <summary>Objects: a git pack of the objects asked for.</summary>
    [Key(6)] public byte[]? Pack { get; set; }
}

/// <summary>The engine session's answers, in order; <see cref="Waiting"/> comes every few seconds while a job runs.</summary>
[MessagePackObject]
public sealed class DispatchReply
{
    public const string Hello = "hello";
    public const string MissingObjects = "missing";
    public const string Waiting = "waiting";
    public const string Result = "result";
    public const string None = "none";
    public const string Error = "error";

    [Key(0)] public string Kind { get; set; } = "";
    [Key(1)] public string? Message { get; set; }
    /// <summary>Hello: the labels of the engines that run the repo there.</summary>
    [Key(2)] public List<string>? Labels { get; set; }
    /// <summary>Hello: the host name its claims carry.</summary>
    [Key(3)] public string? Host { get; set; }
    /// <summary>Missing: the raw ids of the closure it lacks.</summary>
    [Key(4)] public List<byte[]>? Missing { get; set; }
    /// <summary>Result: the claim's canonical text and its SSH signature.</summary>
    [Key(5)] public byte[]? Claim { get; set; }
    [Key(6)] public string? Signature { get; set; }
    /// <summary>Result: a pack of the result commit's objects that the job's closure does not hold.</summary>
    [Key(7)] public byte[]? Pack { get; set; }
}
