namespace Clive.Model;

/// <summary>
/// A member's former names: a value stored under one of them (by an earlier version of the model)
/// is read into this member. <c>record Order([property: Was("Qty")] int Quantity)</c> or on the
/// constructor parameter, the property or the field.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter, AllowMultiple = true)]
public sealed class WasAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}
