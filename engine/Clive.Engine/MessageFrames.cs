using System.Buffers.Binary;
using MessagePack;

namespace Clive.Engine;

/// <summary>
/// Length-prefixed MessagePack frames, as the model host's pipes and engine sessions carry them: a
/// 4-byte big-endian length, then one message. The other end may be hostile (model code, another
/// host): the length is checked before anything is allocated and messages are read with
/// MessagePack's untrusted-data settings. Each channel names its frames and its error.
/// </summary>
internal sealed class MessageFrames(string what, int maxFrame, Func<string, Exception> error)
{
    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard
        .WithSecurity(MessagePackSecurity.UntrustedData);

    public int MaxFrame => maxFrame;

    public void Write<T>(Stream stream, T message)
    {
        var payload = MessagePackSerializer.Serialize(message, Options);
        if (payload.Length > maxFrame) throw error($"{what} of {payload.Length} bytes is over the {maxFrame >> 20} MiB limit");
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, payload.Length);
        stream.Write(length);
        stream.Write(payload);
        stream.Flush();
    }

    /// <summary>The next message, or null when the other end closed the stream between messages.</summary>
    public T? Read<T>(Stream stream) where T : class
    {
        var length = new byte[4];
        if (!Fill(stream, length)) return null;
        int size = BinaryPrimitives.ReadInt32BigEndian(length);
        if (size is < 1 || size > maxFrame) throw error($"{what} of {size} bytes is over the limit");
        var payload = new byte[size];
        if (!Fill(stream, payload)) throw error($"{what} was cut short");
        try
        {
            return MessagePackSerializer.Deserialize<T>(payload, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw error($"{what} is malformed: {e.InnerException?.Message ?? e.Message}");
        }
    }

    /// <summary>Fills the buffer; false when the stream ended before its first byte.</summary>
    private bool Fill(Stream stream, byte[] buffer)
    {
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                if (filled == 0) return false;
                throw error($"{what} was cut short");
            }
            filled += n;
        }
        return true;
    }
}
