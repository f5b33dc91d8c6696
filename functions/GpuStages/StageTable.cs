using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// The stages a GPU worker runs, by the activity name a <see cref="StageWork"/> carries: each runs the activity's
/// own <see cref="IGpuStage{TInput, TOutput}.RunStageAsync"/> on the JSON input and returns its JSON output.
/// </summary>
public static class StageTable
{
    private delegate Task<JsonElement> Runner(IServiceProvider services, JsonElement input, CancellationToken token);

    private static readonly Dictionary<string, Runner> Stages = new()
    {
        [nameof(CaptionActivity)] = Run<CaptionActivity, BlobRef, CaptionResult>,
        [nameof(WordMeanActivity)] = Run<WordMeanActivity, WordMeanRequest, WordMeanRef>,
        [nameof(InvertActivity)] = Run<InvertActivity, InvertInput, InvertResult>,
        [nameof(EditActivity)] = Run<EditActivity, EditInput, EditResult>,
    };

    public static IReadOnlyCollection<string> Names => Stages.Keys;

    public static Task<JsonElement> RunAsync(
        IServiceProvider services,
        StageWork work,
        CancellationToken cancellationToken
    ) =>
        Stages.TryGetValue(work.Stage, out var run)
            ? run(services, work.Input, cancellationToken)
            : throw new Pix2PixZeroException(
                FailureKind.Permanent,
                $"the work item names the stage \"{work.Stage}\", which this GPU worker does not run "
                    + $"({string.Join(", ", Stages.Keys)}); deploy the worker and the control plane from one build"
            );

    private static async Task<JsonElement> Run<TStage, TInput, TOutput>(
        IServiceProvider services,
        JsonElement input,
        CancellationToken cancellationToken
    )
        where TStage : IGpuStage<TInput, TOutput>
    {
        var stage = ActivatorUtilities.CreateInstance<TStage>(services);
        var output = await stage.RunStageAsync(input.Deserialize<TInput>(StageWork.Json)!, cancellationToken);
        return JsonSerializer.SerializeToElement(output, StageWork.Json);
    }
}
