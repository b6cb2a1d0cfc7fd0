using Clive.Git;

namespace Clive.Dispatch;

/// <summary>
/// Where a dispatched job lives in the repo it runs for: the job commit (its action and exact input
/// tree) under <c>refs/clive/jobs/&lt;job&gt;</c>, so its closure is complete and gc keeps it while it
/// runs, and the result commit under <c>refs/clive/job-results/&lt;job&gt;</c>. Named by the job, not
/// by a key: two dispatchers that send the same action over the same inputs share one run, and
/// nobody can file a result under a key for other inputs.
/// </summary>
public static class JobRefs
{
    public const string JobPrefix = "refs/clive/jobs/";
    public const string ResultPrefix = "refs/clive/job-results/";

    public static string Job(ObjectId job) => JobPrefix + job;

    public static string Result(ObjectId job) => ResultPrefix + job;

    /// <summary>The job a job ref names, or null for any other ref.</summary>
    public static ObjectId? JobOf(string refName)
        => refName.StartsWith(JobPrefix, StringComparison.Ordinal) && refName.Length == JobPrefix.Length + ObjectId.HexLength
            && ObjectId.TryParse(refName.AsSpan(JobPrefix.Length), out var id) ? id : null;
}
