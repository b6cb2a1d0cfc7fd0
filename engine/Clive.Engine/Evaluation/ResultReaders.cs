namespace Clive.Engine.Evaluation;

/// <summary>
/// Who evaluates again when a cell's result ref (refs/clive/cells/…) moves: the models that read it
/// with FromRef, except where that would feed back into the model that published it. A model that
/// reads its own results, or two that read each other's (directly or through others), would
/// otherwise run one another forever whenever an output is not the same on every run; such a
/// reader is left alone (its pushes still evaluate it) and the cycle is logged once.
/// </summary>
internal sealed class ResultReaders(IEnumerable<RefPipeline> pipelines, Action<string> log)
{
    private readonly HashSet<(RefPipeline Reader, RefPipeline Producer)> _reported = [];

    public IEnumerable<RefPipeline> ReadersOf(string repo, string resultRef)
    {
        var all = pipelines.ToList();
        var producer = all.FirstOrDefault(p => p.Publishes(repo, resultRef));
        foreach (var reader in all)
        {
            if (!reader.Reads(repo, resultRef)) continue;
            if (producer is not null && Reaches(all, producer, reader))
            {
                if (_reported.Add((reader, producer)))
                    log($"{reader}: not evaluated again when {repo} {resultRef} moves: that result depends on {reader}'s own results (a cycle)");
                continue;
            }
            yield return reader;
        }
    }

    /// <summary>Whether <paramref name="from"/> reads the results of <paramref name="to"/>, directly or through other models (or is it).</summary>
    private static bool Reaches(List<RefPipeline> all, RefPipeline from, RefPipeline to)
    {
        var seen = new HashSet<RefPipeline> { from };
        var pending = new Stack<RefPipeline>([from]);
        while (pending.TryPop(out var current))
        {
            if (current == to) return true;
            foreach (var next in all)
                if (current.ReadsResultsOf(next) && seen.Add(next)) pending.Push(next);
        }
        return false;
    }
}
