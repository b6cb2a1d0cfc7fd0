using System.Runtime.InteropServices;
using Clive.Interop;

namespace Clive.Compression;

/// <summary>
/// A reusable zlib inflater that reports exactly how much input each stream used.
/// Not thread-safe; one per reader.
/// </summary>
public sealed unsafe class Inflater : IDisposable
{
    // zlib keeps a pointer back to its z_stream and refuses a moved one: native memory, never moved.
    private LibZ.ZStream* _stream;
    private bool _needsReset;

    public Inflater()
    {
        _stream = (LibZ.ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(LibZ.ZStream));
        var version = "1.2.11\0"u8;
        fixed (byte* v = version)
        {
            int rc = LibZ.InflateInit(_stream, v, sizeof(LibZ.ZStream));
            if (rc != LibZ.Ok) throw new InvalidOperationException($"zlib inflateInit failed ({rc})");
        }
    }

    /// <summary>Starts a new deflate stream.</summary>
    public void Reset()
    {
        if (_needsReset) LibZ.InflateReset(_stream);
        _needsReset = false;
    }

    /// <summary>
    /// Inflates from <paramref name="input"/> into <paramref name="output"/>. Returns true at the end
    /// of the stream. Throws on corrupt data.
    /// </summary>
    public bool Inflate(ReadOnlySpan<byte> input, Span<byte> output, out int consumed, out int produced)
    {
        _needsReset = true;
        fixed (byte* inPtr = input)
        fixed (byte* outPtr = output)
        {
            // zlib wants a non-null output pointer even for zero bytes of room.
            byte dummy;
            _stream->NextIn = inPtr;
            _stream->AvailIn = (uint)input.Length;
            _stream->NextOut = output.Length > 0 ? outPtr : &dummy;
            _stream->AvailOut = (uint)output.Length;
            int rc = LibZ.Inflate(_stream, LibZ.NoFlush);
            consumed = input.Length - (int)_stream->AvailIn;
            produced = output.Length - (int)_stream->AvailOut;
            _stream->NextIn = null;
            _stream->NextOut = null;
            if (rc == LibZ.StreamEnd) return true;
            if (rc == LibZ.Ok || rc == LibZ.BufError) return false;
            throw new InvalidPackException($"corrupt zlib data ({rc})");
        }
    }

    public void Dispose()
    {
        if (_stream == null) return;
        LibZ.InflateEnd(_stream);
        NativeMemory.Free(_stream);
        _stream = null;
    }
}
