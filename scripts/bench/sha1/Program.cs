// Hashing throughput: the collision-detecting SHA-1 every object id goes through, against plain
// SHA-1 (.NET's, OpenSSL underneath), on one large buffer and on many git-sized objects.
// Prints one JSON object; scripts/bench/sha1.py runs it and makes the table.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Clive.Git;
using Clive.Git.Sha1;

int megabytes = 64, objects = 200_000, runs = 5;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--megabytes": megabytes = int.Parse(args[++i]); break;
        case "--objects": objects = int.Parse(args[++i]); break;
        case "--runs": runs = int.Parse(args[++i]); break;
        default: Console.Error.WriteLine($"fatal: unknown option {args[i]}"); return 2;
    }
}

var random = new Random(42);
var big = new byte[megabytes << 20];
random.NextBytes(big);
// Sizes like a source tree's objects: mostly small, some large (commits and trees are ~200 B to a few KiB).
var sizes = Enumerable.Range(0, objects).Select(_ => (int)Math.Min(200_000, 60 * Math.Exp(random.NextDouble() * 7))).ToArray();
var pool = new byte[sizes.Max()];
random.NextBytes(pool);
long objectBytes = sizes.Sum(s => (long)s);

var digest = new byte[20];
// CPU seconds of this process (the work is single-threaded), best of the runs: on a machine shared
// with other work, wall time measures the neighbours as much as the hash.
var self = Process.GetCurrentProcess();
double Best(Action action)
{
    action();
    double best = double.MaxValue;
    for (int r = 0; r < runs; r++)
    {
        self.Refresh();
        var before = self.TotalProcessorTime;
        action();
        self.Refresh();
        best = Math.Min(best, (self.TotalProcessorTime - before).TotalSeconds);
    }
    return best;
}

double bigPlain = Best(() => SHA1.HashData(big, digest));
double bigDetecting = Best(() => CollisionDetectingSha1.HashData(big, digest));
double objPlain = Best(() =>
{
    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    Span<byte> header = stackalloc byte[32];
    foreach (int size in sizes)
    {
        hash.AppendData(header[..ObjectHeader.Write(header, ObjectType.Blob, size)]);
        hash.AppendData(pool.AsSpan(0, size));
        hash.GetHashAndReset(digest);
    }
});
double objDetecting = Best(() =>
{
    foreach (int size in sizes) ObjectId.HashObject(ObjectType.Blob, pool.AsSpan(0, size));
});

double Mb(long bytes, double seconds) => bytes / seconds / (1 << 20);
Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["large_buffer_mib"] = megabytes,
    ["large_plain_mib_s"] = Math.Round(Mb(big.Length, bigPlain), 1),
    ["large_detecting_mib_s"] = Math.Round(Mb(big.Length, bigDetecting), 1),
    ["large_ratio"] = Math.Round(bigDetecting / bigPlain, 2),
    ["objects"] = objects,
    ["objects_mib"] = Math.Round(objectBytes / (double)(1 << 20), 1),
    ["objects_plain_cpu_s"] = Math.Round(objPlain, 3),
    ["objects_detecting_cpu_s"] = Math.Round(objDetecting, 3),
    ["objects_ratio"] = Math.Round(objDetecting / objPlain, 2),
}));
return 0;
