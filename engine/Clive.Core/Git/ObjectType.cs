namespace Clive.Git;

/// <summary>Object types with the numbers the pack format gives them.</summary>
public enum ObjectType : byte
{
    None = 0,
    Commit = 1,
    Tree = 2,
    Blob = 3,
    Tag = 4,
    OfsDelta = 6,
    RefDelta = 7,
}

public static class ObjectTypeNames
{
    public static string Name(this ObjectType type) => type switch
    {
        ObjectType.Commit => "commit",
        ObjectType.Tree => "tree",
        ObjectType.Blob => "blob",
        ObjectType.Tag => "tag",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a whole object type"),
    };

    public static bool TryParse(ReadOnlySpan<byte> name, out ObjectType type)
    {
        type = name switch
        {
            _ when name.SequenceEqual("commit"u8) => ObjectType.Commit,
            _ when name.SequenceEqual("tree"u8) => ObjectType.Tree,
            _ when name.SequenceEqual("blob"u8) => ObjectType.Blob,
            _ when name.SequenceEqual("tag"u8) => ObjectType.Tag,
            _ => ObjectType.None,
        };
        return type != ObjectType.None;
    }
}

/// <summary>The "&lt;type&gt; &lt;size&gt;\0" prefix that an object's id hashes over.</summary>
public static class ObjectHeader
{
    public static int Write(Span<byte> destination, ObjectType type, long size)
    {
        var name = type.Name();
        int n = System.Text.Encoding.ASCII.GetBytes(name, destination);
        destination[n++] = (byte)' ';
        size.TryFormat(destination[n..], out int written);
        n += written;
        destination[n++] = 0;
        return n;
    }
}
