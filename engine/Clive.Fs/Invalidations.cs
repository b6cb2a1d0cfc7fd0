namespace Clive.Fs;

/// <summary>What a ref move changed, for the kernel to forget: names under a directory, and nodes whose content changed.</summary>
public sealed class Invalidations
{
    public List<(ulong Parent, string Name)> Entries { get; } = [];
    public HashSet<ulong> Inodes { get; } = [];
    public bool IsEmpty => Entries.Count == 0 && Inodes.Count == 0;
}
