namespace Clive.Engine.Execution;

/// <summary>A cell's write to an entity lost its compare-and-swap: another writer moved it while the cell ran.</summary>
public sealed class EntityRaceLost(string message) : Exception(message);
