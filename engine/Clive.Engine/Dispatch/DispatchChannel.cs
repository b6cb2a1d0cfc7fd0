using System.Buffers.Binary;
using MessagePack;

namespace Clive.Dispatch;

/// <summary>
/// Frames of an engine session: a 4-byte big-endian length, then one MessagePack message. The
/// length is checked before anything is allocated, and messages are read with MessagePack's
/// untrusted-data settings: the other host may send anything.
/// </summary>
public static class DispatchChannel
{
    /// <summary>A frame carries at most one pack: a cell's inputs or outputs beyond this are refused, not buffered.</summary>
    public const int MaxFrame = 1 << 30;

    /// <summary>Closures and missing lists: far above a real cell's input tree, far below what would exhaust memory.</summary>
    public const int MaxIds = 4_000_000;

    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithSecurity(MessagePackSecurity.UntrustedData);

    public static void Write<T>(Stream stream, T message)
    {
        var payload = MessagePackSerializer.Serialize(message, Options);
        if (payload.Length > MaxFrame) throw new CliveException($"a dispatch message of {payload.Length} bytes is over the {MaxFrame >> 20} MiB limit");
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, payload.Length);
        stream.Write(length);
        stream.Write(payload);
        stream.Flush();
    }

    /// <summary>The next message, or null when the other side closed the channel between messages.</summary>
    public static T? Read<T>(Stream stream) where T : class
    {
        var length = new byte[4];
        if (!Fill(stream, length, atStart: true)) return null;
        int size = BinaryPrimitives.ReadInt32BigEndian(length);
        if (size is < 1 or > MaxFrame) throw new ProtocolException($"a dispatch message of {size} bytes is over the limit");
        var payload = new byte[size];
        Fill(stream, payload, atStart: false);
        try
        {
            return MessagePackSerializer.Deserialize<T>(payload, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new ProtocolException($"a malformed dispatch message: {e.InnerException?.Message ?? e.Message}");
        }
    }

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

    private static bool Fill(Stream stream, byte[] buffer, bool atStart)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                if (atStart && filled == 0) return false;
                throw new ProtocolException("the engine session closed in the middle of a message");
            }
            filled += n;
        }
        return true;
    }
}
