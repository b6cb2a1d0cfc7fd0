using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using Clive.Git;
using Clive.Progress;
using Clive.Store.Objects;

namespace Clive.Packs;

/// <summary>Counts for git's closing "Total N (delta D), reused R (delta RD)" line.</summary>
public sealed record PackStatistics(int Total, int Deltas, int Reused, int ReusedDeltas);

/// <summary>
/// Writes a pack of stored objects. Stored entries are copied as they are (no re-compression,
/// no new deltas): a whole object verbatim, a delta whose base is also sent with its base
/// re-pointed (by offset when the base came earlier, by id otherwise), and a delta against an
/// object the client already has as a thin-pack delta when the client allows it. Anything else
/// is inflated and sent whole.
/// </summary>
public sealed class PackWriter(ObjectDatabase objects)
{
    public PackStatistics Write(Stream output, IReadOnlyList<ObjectId> ids, IReadOnlySet<ObjectId>? clientHas, Action<string>? progress,
        List<PackedObject>? index = null)
    {
        var located = new List<(ObjectId Id, ObjectLocation Location)>(ids.Count);
        foreach (var id in ids)
        {
            if (!objects.TryLocate(id, out var location)) throw new CliveException($"object {id} is missing from the store");
            located.Add((id, location));
        }
        // Stored order: a pack's offset deltas always follow their bases, so bases are written first.
        located.Sort((a, b) => a.Location.PackId != b.Location.PackId
            ? a.Location.PackId.CompareTo(b.Location.PackId)
            : a.Location.Offset.CompareTo(b.Location.Offset));
        var sending = ids.ToHashSet();

        using var hashing = new HashingStream(output);
        Span<byte> header = stackalloc byte[12];
        "PACK"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)located.Count);
        hashing.Write(header);

        var written = new Dictionary<(long Pack, long Offset), long>(located.Count);
        int deltas = 0, reused = 0, reusedDeltas = 0, count = 0;
        var meter = ProgressMeter.Start("Writing objects", located.Count, progress);
        Span<byte> entryHeader = stackalloc byte[32];
        foreach (var (id, location) in located)
        {
            long outOffset = hashing.Position;
            var pack = objects.Pack(location.PackId);
            var stored = PackEntryHeader.Read(pack, location.Offset);
            long dataStart = location.Offset + stored.Length;
            long dataLength = location.Length - stored.Length;
            bool copied = true;
            if (!stored.IsDelta)
            {
                CopyRange(pack, location.Offset, location.Length, hashing);
            }
            else if (stored.Type == ObjectType.OfsDelta && written.TryGetValue((location.PackId, stored.BaseOffset), out long baseOut))
            {
                int n = PackEntryHeader.WriteTypeAndSize(entryHeader, ObjectType.OfsDelta, stored.Size);
                n += PackEntryHeader.WriteOffset(entryHeader[n..], outOffset - baseOut);
                hashing.Write(entryHeader[..n]);
                CopyRange(pack, dataStart, dataLength, hashing);
            }
            else if (stored.Type == ObjectType.RefDelta && (sending.Contains(stored.BaseId) || clientHas?.Contains(stored.BaseId) == true))
            {
                int n = PackEntryHeader.WriteTypeAndSize(entryHeader, ObjectType.RefDelta, stored.Size);
                stored.BaseId.WriteTo(entryHeader[n..]);
                hashing.Write(entryHeader[..(n + ObjectId.ByteLength)]);
                CopyRange(pack, dataStart, dataLength, hashing);
            }
            else
            {
                copied = false;
                var data = objects.ReadAt(location.PackId, location.Offset, out var type);
                int n = PackEntryHeader.WriteTypeAndSize(entryHeader, type, data.Length);
                hashing.Write(entryHeader[..n]);
                Compression.Deflater.Write(hashing, data, CompressionLevel.Optimal);
            }
            if (copied) reused++;
            if (copied && stored.IsDelta) { deltas++; reusedDeltas++; }
            written[(location.PackId, location.Offset)] = outOffset;
            index?.Add(new PackedObject(id, outOffset, hashing.Position - outOffset, location.Type));
            meter?.Report(++count);
        }
        meter?.Done();
        hashing.WriteTrailer();
        return new PackStatistics(located.Count, deltas, reused, reusedDeltas);
    }

    private static void CopyRange(IPackBytes pack, long position, long length, Stream destination)
    {
        while (length > 0)
        {
            var span = pack.GetSpan(position);
            if (span.IsEmpty) throw new CliveException("a stored pack is truncated");
            int n = (int)Math.Min(span.Length, length);
            destination.Write(span[..n]);
            position += n;
            length -= n;
        }
    }

    /// <summary>Passes bytes through while hashing them, for the pack's trailing checksum.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        private long _position;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.AppendData(buffer);
            inner.Write(buffer);
            _position += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public void WriteTrailer() => inner.Write(_hash.GetHashAndReset());

        protected override void Dispose(bool disposing)
        {
            if (disposing) _hash.Dispose();
            base.Dispose(disposing);
        }

        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _position;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
