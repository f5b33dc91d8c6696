namespace Pix2PixZero.Functions.Hosting;

/// <summary>Where a request's GPU stages run (<see cref="AppSettings.GpuStages"/>).</summary>
public enum StageDispatch
{
    /// <summary>As activities of the app that runs the orchestration (one app with the model).</summary>
    InProcess,

    /// <summary>On GPU workers, through the work and completion queues (the deployment).</summary>
    Queue,
}

/// <summary>
/// How one request runs its GPU stages, fixed when it starts: travels in the orchestration input, as the retry policy
/// does (orchestrators get no services).
/// </summary>
public sealed record GpuStageRouting(StageDispatch Dispatch, TimeSpan Timeout);
