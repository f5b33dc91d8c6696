using Microsoft.DurableTask;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.GpuStages;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Orchestrations;

public sealed record DirectionRequest(WordMeanRequest Mean, ActivityRetry Retry, GpuStageRouting? Gpu = null);

/// <summary>
/// Computes and stores one word mean ahead of the edits that will need it (<c>POST /api/directions</c>).
/// </summary>
public sealed class DirectionOrchestrator : TaskOrchestrator<DirectionRequest, WordMeanRef>
{
    public override Task<WordMeanRef> RunAsync(TaskOrchestrationContext context, DirectionRequest request) =>
        GpuStage.RunAsync<WordMeanRef>(context, nameof(WordMeanActivity), request.Mean, request.Retry, request.Gpu);
}
