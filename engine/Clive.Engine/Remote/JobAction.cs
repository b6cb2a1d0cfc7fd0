using Clive.Engine.Execution;
using Clive.Engine.Graph;
using Clive.Engine.Inputs;
using Clive.Engine.Sandboxing;
using Clive.Git;
using Clive.Model;
using Clive.Packs;
using MessagePack;

namespace Clive.Engine.Remote;

/// <summary>
/// A command cell as a job another engine can run, shaped like a Remote Execution API action: the
/// command (line, environment, directory, declared outputs, timeout, network) and the exact input
/// tree, in one commit: <c>action</c> (this, MessagePack) and <c>inputs/</c> (the files the command
/// sees, at their paths in the cell's tree). The commit's author, date and message are fixed, so the
/// same action over the same inputs is the same commit on every host.
/// </summary>
[MessagePackObject]
public sealed class JobAction
{
    public const string ActionFile = "action";
    public const string InputsDirectory = "inputs";
    private const int MaxActionBytes = 1 << 20;

    /// <summary>The engine version the action was made for (<see cref="CellDefinition.EngineVersion"/>): another one may collect outputs differently.</summary>
    [Key(0)] public string Engine { get; set; } = "";
    /// <summary>The command cell as the model host describes cells, without inputs (the tree is the inputs) or schedule.</summary>
    [Key(1)] public CellMessage Cell { get; set; } = new();

    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Writes the job of <paramref name="cell"/> over <paramref name="layout"/> into the store (objects only, no ref): its commit and every object it reaches.</summary>
    public static (ObjectId Commit, IReadOnlyList<ObjectId> Closure) Write(EngineStore store, CellDefinition cell, InputLayout layout)
    {
        var message = CellDeclarations.Describe(cell.Declaration);
        message.Inputs = [];
        message.PeriodTicks = null;
        // Where in the script it was declared does not change what it runs: dispatchers share jobs across edits that move it.
        message.Line = 0;
        var action = MessagePackSerializer.Serialize(new JobAction { Engine = CellDefinition.EngineVersion, Cell = message }, Options);
        var pack = new NewObjectsPack();
        var tree = new OutputTree(store, pack);
        tree.Add(ActionFile, TreeEntry.RegularFile, action);
        foreach (var file in layout.Files) tree.Add(file with { Path = InputsDirectory + "/" + file.Path });
        var root = tree.Build()!.Value;
        var who = new Signature("clive-engine", "clive@localhost", DateTimeOffset.UnixEpoch);
        var text = CommitWriter.Serialize(root, [], who, who, $"clive job: {cell.Name}\n");
        var commit = ObjectId.HashObject(ObjectType.Commit, text);
        store.Write(s =>
        {
            if (!s.Store.Objects.Contains(commit)) pack.Add(ObjectType.Commit, text);
            if (pack.IsEmpty) return;
            using var transaction = s.Store.BeginRefTransaction(Results.ResultWriter.Who, "dispatch");
            transaction.Add(pack);
            transaction.Commit();
        });
        var closure = store.Use(s => new Clive.Transfer.ObjectWalk(s.Store.Objects).Run([commit], [], null).Objects);
        return (commit, closure);
    }

    /// <summary>The cell and input layout of a job another engine filed here: hostile data, checked as a model host's description is, and more.</summary>
    public static (CellDefinition Cell, InputLayout Layout) Read(EngineStore store, ObjectId job) => store.Use(s =>
    {
        var tree = CommitParser.Parse(s.Store.Objects.Read(job, ObjectType.Commit)).Tree;
        ObjectId? action = null, inputs = null;
        foreach (var entry in TreeParser.Entries(s.Store.Objects.Read(tree, ObjectType.Tree)))
        {
            var name = System.Text.Encoding.UTF8.GetString(entry.Name.Span);
            if (name == ActionFile && !entry.IsTree) action = entry.Id;
            else if (name == InputsDirectory && entry.IsTree) inputs = entry.Id;
            else throw new CliveException($"job {job}: unexpected entry '{Printable.Of(name)}'");
        }
        var bytes = s.Store.Objects.Read(action ?? throw new CliveException($"job {job} has no action"), ObjectType.Blob);
        if (bytes.Length > MaxActionBytes) throw new CliveException($"job {job}: its action is over {MaxActionBytes >> 20} MiB");
        JobAction parsed;
        try
        {
            parsed = MessagePackSerializer.Deserialize<JobAction>(bytes, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new CliveException($"job {job}: a malformed action ({e.InnerException?.Message ?? e.Message})");
        }
        if (parsed.Engine != CellDefinition.EngineVersion)
            throw new CliveException($"job {job} was made for {Printable.Of(parsed.Engine)}, this engine is {CellDefinition.EngineVersion}");
        var message = parsed.Cell ?? throw new CliveException($"job {job}: an action without a cell");
        // Only commands travel: a compute cell's function lives in its model, a service is not a job.
        if (message.Kind != nameof(CellKind.Command) || message.Inputs.Count > 0 || message.PeriodTicks is not null || message.CommandLine.Count == 0)
            throw new CliveException($"job {job}: not a command over its input tree");
        Cell declared;
        try
        {
            declared = CellDeclarations.Declare(message);
        }
        catch (Exception e) when (e is ModelException or ArgumentException)
        {
            throw new CliveException($"job {job}: {e.Message}");
        }
        var layout = new InputLayout();
        if (inputs is { } files) layout.AddAll("", s.Trees.Files(files, "").ToList());
        return (new CellDefinition(declared, null), layout);
    });
}
