using Clive.Engine.Graph;
using Clive.Model;

namespace Clive.Engine.Sandboxing;

/// <summary>
/// Cells as data across the model host's pipe: the host describes what its scripts declared, and
/// the engine declares the same cells again through the model API, so they key, run and display
/// exactly as if the script had run in the engine. A compute cell's function stays in the host.
/// </summary>
public static class CellDeclarations
{
    public static CellMessage Describe(Cell cell)
    {
        var message = new CellMessage
        {
            Kind = cell.Kind.ToString(),
            Name = cell.Name,
            DeclaredIn = cell.DeclaredIn,
            Line = cell.Line,
            PeriodTicks = cell.Period?.Ticks,
            Inputs = cell.Inputs.Select(Describe).ToList(),
        };
        if (cell is CommandCell command)
        {
            message.CommandLine = command.CommandLine.ToList();
            message.UsesShell = command.UsesShell;
            message.Environment = command.Environment.ToDictionary();
            message.Outputs = command.Outputs.ToList();
            message.TimeoutTicks = command.Timeout?.Ticks;
            message.UsesNetwork = command.UsesNetwork;
            message.Placement = command.Placement.ToList();
        }
        if (cell is ServiceCell service) message.GraceTicks = service.GracePeriod.Ticks;
        if (cell is ComputeCell compute)
        {
            message.Maintains = compute.Maintained.ToList();
            message.StartsEngines = compute.DeclaresEngines;
        }
        return message;
    }

    private static InputMessage Describe(CellInput input) => input switch
    {
        FilesInput f => new InputMessage { Kind = InputMessage.FilesKind, Globs = f.Globs.ToList() },
        CellOutputInput c => new InputMessage { Kind = InputMessage.CellKind, Cell = c.Cell, At = c.At },
        RefInput r => new InputMessage { Kind = InputMessage.RefKind, Repo = r.Repo, Ref = r.Ref, Glob = r.Glob, At = r.At },
        EntityInput e => new InputMessage { Kind = InputMessage.EntityKind, Cell = e.Entity, At = e.At },
        _ => throw new InvalidOperationException("unknown input " + input),
    };

    /// <summary>The cell a message describes, declared anew; a compute cell's function only says where it really runs.</summary>
    public static Cell Declare(CellMessage message)
    {
        if (!Enum.TryParse<CellKind>(message.Kind, out var kind)) throw new ModelException($"the model host described a cell of unknown kind '{message.Kind}'");
        var directory = ModelPaths.DirectoryOf(message.DeclaredIn);
        var shortName = directory.Length == 0 ? message.Name
            : message.Name.StartsWith(directory + "/", StringComparison.Ordinal) ? message.Name[(directory.Length + 1)..]
            : throw new ModelException($"the model host described cell '{message.Name}' outside {message.DeclaredIn}'s directory");
        try
        {
            return kind switch
            {
                CellKind.Compute => Maintaining(WithInputs(Cells.Compute(shortName, _ => throw new InvalidOperationException("compute cells run in the model host"),
                    message.DeclaredIn, message.Line), message), message),
                CellKind.Service => AsCommand(Cells.Service(shortName, message.DeclaredIn, message.Line), message)
                    .StopWithin(TimeSpan.FromTicks(message.GraceTicks ?? TimeSpan.FromSeconds(5).Ticks)),
                _ => AsCommand(Cells.Command(shortName, message.DeclaredIn, message.Line), message),
            };
        }
        catch (ArgumentException e)
        {
            throw new ModelException(e.Message);
        }
    }

    private static T AsCommand<T>(T cell, CellMessage message) where T : CommandCell
    {
        WithInputs<CommandCell>(cell, message);
        if (message.CommandLine.Count > 0)
        {
            if (message.UsesShell) cell.Run(message.CommandLine[0]);
            else cell.Exec(message.CommandLine[0], [.. message.CommandLine.Skip(1)]);
        }
        foreach (var (name, value) in message.Environment) cell.Env(name, value);
        if (message.Outputs.Count > 0) cell.Output([.. message.Outputs]);
        if (message.TimeoutTicks is { } timeout) cell.WithTimeout(TimeSpan.FromTicks(timeout));
        if (message.UsesNetwork) cell.Network();
        if (message.Placement.Count > 0) cell.On([.. message.Placement]);
        return cell;
    }

    private static ComputeCell Maintaining(ComputeCell cell, CellMessage message)
    {
        foreach (var entity in message.Maintains) cell.Maintains(entity);
        return message.StartsEngines ? cell.StartsEngines() : cell;
    }

    private static T WithInputs<T>(T cell, CellMessage message) where T : Cell<T>
    {
        foreach (var input in message.Inputs)
        {
            switch (input.Kind)
            {
                case InputMessage.FilesKind: cell.Files([.. input.Globs]); break;
                // Rooted, so the name is taken as the host resolved it.
                case InputMessage.CellKind: cell.From("/" + input.Cell, input.At); break;
                case InputMessage.RefKind: cell.FromRef(input.Repo, input.Ref, input.Glob, input.At); break;
                case InputMessage.EntityKind: cell.Reads(input.Cell, input.At); break;
                default: throw new ModelException($"the model host described an input of unknown kind '{input.Kind}'");
            }
        }
        if (message.PeriodTicks is { } period) cell.Every(TimeSpan.FromTicks(period));
        return cell;
    }
}
