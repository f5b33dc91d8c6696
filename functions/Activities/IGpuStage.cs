namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// A stage that needs the model: its activity runs it in process, and a GPU worker runs the same method for a queued
/// work item (<see cref="StageTable"/>), so both paths run one piece of code.
/// </summary>
public interface IGpuStage<TInput, TOutput>
{
    Task<TOutput> RunStageAsync(TInput input, CancellationToken cancellationToken);
}
