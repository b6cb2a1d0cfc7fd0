using System.Text;

namespace Clive.Protocol;

public enum PktKind { Data, Flush, Delimiter, ResponseEnd, EndOfStream }

/// <summary>One pkt-line: a data payload, or one of the special packets 0000, 0001, 0002.</summary>
public readonly record struct Pkt(PktKind Kind, byte[] Payload)
{
    public bool IsData => Kind == PktKind.Data;

    /// <summary>The payload as text without its trailing newline.</summary>
    public string Text => Encoding.UTF8.GetString(Payload.AsSpan().TrimEnd((byte)'\n'));
}

/// <summary>
/// Reads pkt-lines with exact-length reads, never buffering ahead: a pack may follow the last
/// line on the same stream, and another reader takes it from there.
/// </summary>
public sealed class PktLineReader(Stream input)
{
    public const int MaxLength = 65520;

    public Stream BaseStream => input;

    public Pkt Read()
    {
        Span<byte> lengthHex = stackalloc byte[4];
        int got = input.ReadAtLeast(lengthHex, 4, throwOnEndOfStream: false);
        if (got == 0) return new Pkt(PktKind.EndOfStream, []);
        if (got < 4) throw new ProtocolException("the connection closed in the middle of a pkt-line");
        int length = 0;
        foreach (var b in lengthHex)
        {
            int digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => throw new ProtocolException("malformed pkt-line length"),
            };
            length = length * 16 + digit;
        }
        switch (length)
        {
            case 0: return new Pkt(PktKind.Flush, []);
            case 1: return new Pkt(PktKind.Delimiter, []);
            case 2: return new Pkt(PktKind.ResponseEnd, []);
            case 3: throw new ProtocolException("malformed pkt-line length");
        }
        if (length > MaxLength) throw new ProtocolException("pkt-line is too long");
        var payload = new byte[length - 4];
        input.ReadExactly(payload);
        return new Pkt(PktKind.Data, payload);
    }

    /// <summary>Reads data lines as text until a flush (or delimiter); returns the lines and what ended them.</summary>
    public List<string> ReadSection(out PktKind end)
    {
        var lines = new List<string>();
        while (true)
        {
            var pkt = Read();
            if (!pkt.IsData)
            {
                end = pkt.Kind;
                return lines;
            }
            lines.Add(pkt.Text);
        }
    }
}

/// <summary>Writes pkt-lines and sideband packets; the caller decides when to flush the stream.</summary>
public sealed class PktLineWriter(Stream output)
{
    /// <summary>Largest sideband payload: a pkt-line of 65520 bytes less its length and band byte.</summary>
    public const int MaxSidebandData = PktLineReader.MaxLength - 5;

    public Stream BaseStream => output;

    public void WriteLine(string text) => Write(Encoding.UTF8.GetBytes(text + "\n"));

    public void Write(ReadOnlySpan<byte> payload)
    {
        if (payload.Length + 4 > PktLineReader.MaxLength) throw new ArgumentException("pkt-line payload too long");
        Span<byte> length = stackalloc byte[4];
        WriteHex(length, payload.Length + 4);
        output.Write(length);
        output.Write(payload);
    }

    public void WriteBand(byte band, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[5];
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, MaxSidebandData);
            WriteHex(header, n + 5);
            header[4] = band;
            output.Write(header);
            output.Write(data[..n]);
            data = data[n..];
        }
    }

    public void Flush() => output.Write("0000"u8);

    public void Delimiter() => output.Write("0001"u8);

    /// <summary>
    /// An error the peer's git prints as "remote error: …" and dies on. Cut to one pkt-line (and
    /// one line): a message quoting what a client sent must not turn into an exception instead.
    /// </summary>
    public void Error(string message) => WriteLine("ERR " + Printable.Of(message, MaxErrorLength));

    /// <summary>Far below the 65516 bytes of a pkt-line: at most 4 bytes a character, as UTF-8 or as \xNN.</summary>
    private const int MaxErrorLength = 4000;

    private static void WriteHex(Span<byte> destination, int value)
    {
        const string digits = "0123456789abcdef";
        for (int i = 3; i >= 0; i--)
        {
            destination[i] = (byte)digits[value & 0xF];
            value >>= 4;
        }
    }
}
