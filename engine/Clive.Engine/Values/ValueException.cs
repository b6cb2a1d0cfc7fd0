namespace Clive.Engine.Values;

/// <summary>
/// A value that cannot be stored, or a stored value that cannot become the type asked for: one
/// line that names the path in the value (<c>$.Items[2].Parent</c>), what is there and what was expected.
/// </summary>
public sealed class ValueException(string message) : Exception(message);
