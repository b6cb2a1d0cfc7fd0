namespace Clive.Dispatch;

/// <summary>
/// Frames of an engine session (<see cref="Clive.Engine.MessageFrames"/>): the other host may send anything.
/// </summary>
public static class DispatchChannel
{
    /// <summary>A frame carries at most one pack: a cell's inputs or outputs beyond this are refused, not buffered.</summary>
    public const int MaxFrame = 1 << 30;

    /// <summary>Closures and missing lists: far above a real cell's input tree, far below what would exhaust memory.</summary>
    public const int MaxIds = 4_000_000;

    private static readonly Clive.Engine.MessageFrames Frames = new("a dispatch message", MaxFrame, why => new ProtocolException(why));

    public static void Write<T>(Stream stream, T message) => Frames.Write(stream, message);

    /// <summary>The next message, or null when the other side closed the channel between messages.</summary>
    public static T? Read<T>(Stream stream) where T : class => Frames.Read<T>(stream);

    /// <summary>Raw ids as the other side sent them: each exactly an object id's length, and not too many.</summary>
    public static List<Git.ObjectId> Ids(List<byte[]>? raw, string what)
    {
        if (raw is null) return [];
        if (raw.Count > MaxIds) throw new ProtocolException($"{what}: more than {MaxIds} object ids");
        var ids = new List<Git.ObjectId>(raw.Count);
        foreach (var bytes in raw)
        {
            if (bytes is null || bytes.Length != Git.ObjectId.ByteLength) throw new ProtocolException($"{what}: an object id of the wrong length");
            ids.Add(new Git.ObjectId(bytes));
        }
        return ids;
    }

    public static List<byte[]> Raw(IEnumerable<Git.ObjectId> ids) => ids.Select(i => i.ToBytes()).ToList();
}
