using System.Globalization;
using Clive.Git;

namespace Clive.Store;

/// <summary>
/// The largest pack a push may send and the largest object a store may hold. One object-size
/// limit serves the push (which refuses a larger object before storing it) and <c>clive fsck</c>
/// (which flags one already stored), so the two never disagree about the same object.
/// Each comes from the environment, else from the store's own <c>config</c> file (git's format,
/// read with <see cref="GitConfigReader"/>), else the default: any pack, and objects up to the largest clive can read back.
/// </summary>
public sealed record StoreLimits(long MaxPackSize, long MaxObjectSize)
{
    /// <summary>
    /// Clive resolves and checks an object as one array, so no object may be larger than .NET's
    /// largest byte array (2 GiB less 57 bytes); a setting may only lower this.
    /// </summary>
    public const long ObjectSizeCeiling = 0x7FFFFFC7;

    public const string MaxPackSizeVariable = "CLIVE_MAX_PACK_SIZE";
    public const string MaxObjectSizeVariable = "CLIVE_MAX_OBJECT_SIZE";
    public const string MaxPackSizeKey = "receive.maxInputSize";
    public const string MaxObjectSizeKey = "clive.maxObjectSize";
    public const string ConfigFileName = "config";

    public static readonly StoreLimits Default = new(long.MaxValue, ObjectSizeCeiling);

    public static StoreLimits For(string storeDirectory)
    {
        var configFile = Path.Combine(storeDirectory, ConfigFileName);
        long pack = Setting(MaxPackSizeVariable, configFile, MaxPackSizeKey) ?? Default.MaxPackSize;
        long objectSize = Setting(MaxObjectSizeVariable, configFile, MaxObjectSizeKey) ?? Default.MaxObjectSize;
        return new StoreLimits(pack, Math.Min(objectSize, ObjectSizeCeiling));
    }

    /// <summary>The message for an object over the limit, the same words at push and at fsck.</summary>
    public string ObjectTooLarge(long size)
        => $"{size} bytes is more than the maximum object size of {MaxObjectSize} bytes"
           + (MaxObjectSize < ObjectSizeCeiling ? $" ({MaxObjectSizeVariable} or {MaxObjectSizeKey})" : "");

    public string PackTooLarge()
        => $"pack exceeds the maximum pack size of {MaxPackSize} bytes ({MaxPackSizeVariable} or {MaxPackSizeKey})";

    /// <summary>A size in git's notation (<c>100m</c>, <c>2g</c>); zero or unset means no limit of one's own.</summary>
    private static long? Setting(string variable, string configFile, string key)
    {
        var text = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : File.Exists(configFile) ? ReadConfig(configFile, key) : null;
        if (text is null) return null;
        if (!TryParseSize(text, out long size))
            throw new CliveException($"'{text}' is not a size for {variable} or {key} (say 500m, or 2g)");
        return size > 0 ? size : null;
    }

    public static bool TryParseSize(string text, out long size)
    {
        text = text.Trim();
        long unit = text.Length > 0 ? char.ToLowerInvariant(text[^1]) switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1 } : 1;
        if (unit != 1) text = text[..^1];
        size = 0;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long number) || number > long.MaxValue / unit) return false;
        size = number * unit;
        return true;
    }

    /// <summary>The last value of <paramref name="key"/> (section.key, as git compares them: case aside), or null.</summary>
    private static string? ReadConfig(string configFile, string key)
    {
        int dot = key.IndexOf('.');
        var (section, name) = (key[..dot], key[(dot + 1)..]);
        return GitConfigReader.Read(File.ReadAllBytes(configFile))
            .LastOrDefault(e => e.Subsection is null && e.Section.Equals(section, StringComparison.OrdinalIgnoreCase)
                && e.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
    }
}
