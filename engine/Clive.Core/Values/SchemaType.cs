namespace Clive.Core.Values;

/// <summary>
/// One type of a <see cref="ValueSchema"/>, as the model host describes a C# type. Objects and
/// enums are only ever reached through <see cref="NamedType"/>, so recursive types are finite.
/// </summary>
/// <param name="Nullable">Whether null is allowed where this type appears; null when the schema does not say.</param>
public abstract record SchemaType(bool? Nullable)
{
    /// <summary>How an error message names what was expected ("an integer", "a list").</summary>
    public abstract string Expected { get; }
}

public sealed record BoolType(bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "true or false";
}

public sealed record IntType(int Bits, bool Unsigned, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => Unsigned ? $"an unsigned {Bits}-bit integer" : $"a {Bits}-bit integer";
}

public sealed record FloatType(int Bits, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "a number";
}

/// <summary>The scalars kept as strings in a particular text form (decimal, times, guid).</summary>
public enum TextKind { String, Decimal, DateTime, DateTimeOffset, Date, Time, TimeSpan, Guid }

public sealed record TextType(TextKind Kind, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => Kind switch
    {
        TextKind.String => "a string",
        TextKind.Decimal => "a decimal number",
        TextKind.DateTime => "a date and time (round-trip format, 2024-05-01T12:00:00.0000000Z)",
        TextKind.DateTimeOffset => "a date, time and offset (round-trip format, 2024-05-01T12:00:00.0000000+02:00)",
        TextKind.Date => "a date (yyyy-MM-dd)",
        TextKind.Time => "a time (HH:mm:ss.FFFFFFF)",
        TextKind.TimeSpan => "a time span ([-][d.]hh:mm:ss[.fffffff])",
        TextKind.Guid => "a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };
}

public sealed record BytesType(bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "a base64 string";
}

public sealed record ListType(SchemaType Items, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "an array";
}

public sealed record MapType(SchemaType Keys, SchemaType Values, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "an object";
}

/// <param name="EntityType">The full name of the referenced entity's type, when the model says.</param>
public sealed record EntityRefType(string? EntityType, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "an entity reference ({\"$entity\": \"<name>\"})";
}

/// <param name="ValueType">The full name of the referenced cell's value type, when the model says.</param>
public sealed record CellRefType(string? ValueType, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "a cell reference ({\"$cell\": \"<repo>@<branch>:<cell>\"})";
}

public sealed record GitRefType(bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => "a ref reference ({\"$ref\": \"<repo>:<refname>\"})";
}

public sealed record NamedType(string Name, bool? Nullable) : SchemaType(Nullable)
{
    public override string Expected => $"a {Name}";
}

/// <summary>A declared object or enum type, found by full name in <see cref="ValueSchema.Types"/>.</summary>
public abstract record TypeDefinition(string Name);

/// <param name="Was">Former names of the member (<c>[Was("OldName")]</c>); JSON written under them still reads.</param>
public sealed record MemberDefinition(string Name, SchemaType Type, bool Nullable, IReadOnlyList<string> Was);

public sealed record ObjectDefinition(string Name, IReadOnlyList<MemberDefinition> Members) : TypeDefinition(Name);

public sealed record EnumDefinition(string Name, IReadOnlyList<string> Values, bool Flags) : TypeDefinition(Name);
