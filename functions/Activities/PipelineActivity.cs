using Microsoft.DurableTask;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// The base of every activity: a <see cref="Pix2PixZeroException"/> it throws reaches the orchestrator as the
/// <see cref="ActivityFailure"/> of its kind, so the retry policy and <c>error.json</c> know what the failure was.
/// </summary>
public abstract class PipelineActivity<TInput, TOutput> : TaskActivity<TInput, TOutput>
{
    public sealed override async Task<TOutput> RunAsync(TaskActivityContext context, TInput input)
    {
        try
        {
            return await RunActivityAsync(context, input);
        }
        catch (Pix2PixZeroException failure) when (failure is not ActivityFailure)
        {
            throw ActivityFailure.Of(failure);
        }
    }

    protected abstract Task<TOutput> RunActivityAsync(TaskActivityContext context, TInput input);
}
