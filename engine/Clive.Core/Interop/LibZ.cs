using System.Runtime.InteropServices;

namespace Clive.Interop;

/// <summary>
/// Raw imports from the system zlib. .NET's DeflateStream cannot say how many input bytes a
/// stream consumed, and a pack's entries are deflate streams laid end to end with no lengths,
/// so parsing one needs zlib's own <c>avail_in</c>.
/// </summary>
internal static unsafe partial class LibZ
{
    private const string Library = "libz.so.1";

    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int BufError = -5;
    public const int NoFlush = 0;

    /// <summary>zlib's z_stream on LP64: uLong is 64 bits, uInt 32.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public nuint TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public nuint TotalOut;
        public byte* Msg;
        public void* State;
        public void* ZAlloc;
        public void* ZFree;
        public void* Opaque;
        public int DataType;
        public nuint Adler;
        public nuint Reserved;
    }

    [LibraryImport(Library, EntryPoint = "inflateInit_")]
    public static partial int InflateInit(ZStream* stream, byte* version, int streamSize);

    [LibraryImport(Library, EntryPoint = "inflate")]
    public static partial int Inflate(ZStream* stream, int flush);

    // Constant time and never blocks: no GC transition needed.
    [LibraryImport(Library, EntryPoint = "inflateReset")]
    [SuppressGCTransition]
    public static partial int InflateReset(ZStream* stream);

    [LibraryImport(Library, EntryPoint = "inflateEnd")]
    public static partial int InflateEnd(ZStream* stream);
}
