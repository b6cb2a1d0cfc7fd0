namespace Clive.Engine.Results;

/// <summary>A cell failed for a reason of its own (not the engine's): the message is its log's last line.</summary>
public sealed class CellFailure(string message) : Exception(message);
