namespace Pix2PixZero.Tests.Support;

/// <summary>
/// Tests that run alone, because what they turn on or observe is process-wide:
/// <list type="bullet">
/// <item>A profiled session also profiles the intra-op thread pool every factory session shares, and another test's run
/// on that pool at the same moment breaks the pool profiler's bookkeeping ("LogStart must pair with LogEnd"). The
/// program never profiles while it runs another session (<c>bench guidance --profile</c> runs its graphs one after
/// another).</item>
/// <item>A listener of the run-time metric hears every session's runs in the process, other tests' included.</item>
/// </list>
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAlone
{
    public const string Name = "run alone";
}
