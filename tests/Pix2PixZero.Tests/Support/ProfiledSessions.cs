namespace Pix2PixZero.Tests.Support;

/// <summary>
/// Tests whose sessions record ONNX Runtime's profile run alone. A profiled session also profiles the process-wide
/// intra-op thread pool that every factory session shares, and a run of another session on that pool at the same
/// moment breaks the pool profiler's bookkeeping ("LogStart must pair with LogEnd") and fails that other run. The
/// program never profiles while it runs another session (<c>bench guidance --profile</c> runs its graphs one after
/// another); only the test runner runs test classes side by side.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProfiledSessions
{
    public const string Name = "profiled sessions";
}
