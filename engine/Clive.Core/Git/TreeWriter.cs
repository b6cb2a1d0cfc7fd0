using System.Text;

namespace Clive.Git;

/// <summary>Serializes a tree object: entries in git's order, modes as git writes them.</summary>
public static class TreeWriter
{
    public static byte[] Serialize(IEnumerable<TreeEntry> entries)
    {
        var sorted = entries.ToList();
        sorted.Sort(ObjectValidator.CompareEntries);
        var bytes = new List<byte>(sorted.Count * 48);
        Span<byte> id = stackalloc byte[ObjectId.ByteLength];
        foreach (var e in sorted)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(Convert.ToString(e.Mode, 8) + " "));
            bytes.AddRange(e.Name.Span);
            bytes.Add(0);
            e.Id.WriteTo(id);
            bytes.AddRange(id);
        }
        return bytes.ToArray();
    }
}
