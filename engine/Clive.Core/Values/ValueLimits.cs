namespace Clive.Core.Values;

/// <summary>
/// Bounds on a stored value, whoever wrote it: values, JSON and schemas arrive from models,
/// editors, the CLI and other stores alike, so each is hostile input until these hold.
/// </summary>
public static class ValueLimits
{
    /// <summary>Containers (maps, arrays, objects) nested in one value; deeper is refused, not recursed into.</summary>
    public const int MaxDepth = 64;

    /// <summary>The largest value.msgpack, value.json or schema read or written.</summary>
    public const int MaxBytes = 64 * 1024 * 1024;
}

/// <summary>A value, its JSON or its schema is not what it must be; the message names the JSON path.</summary>
public sealed class ValueFormatException(string message) : CliveException(message);
