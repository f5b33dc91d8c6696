using Microsoft.DurableTask;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.GpuStages;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Orchestrations;

/// <summary>
/// One edit request (DESIGN.md §3): prepare → caption and word means in parallel → invert → edit (batched or fanned
/// out per task) → publish. Any failure records <c>error.json</c> and fails the orchestration; a cancel terminates it
/// from outside (<see cref="Triggers.EditsApi.CancelAsync"/>). The four model stages run where the request's
/// <see cref="EditRequest.Gpu"/> says (<see cref="GpuStage"/>).
/// </summary>
public sealed class EditOrchestrator : TaskOrchestrator<EditRequest, EditManifest>
{
    public override async Task<EditManifest> RunAsync(TaskOrchestrationContext context, EditRequest request)
    {
        var retry = request.Retry.Options();
        var stage = EditStage.Prepare;
        try
        {
            context.SetCustomStatus(EditStatus.At(stage));
            var plan = request.Settings
                ?? throw new InvalidInputException(
                    request.Refused ?? "the request carries no settings; submit it again"
                );
            var prepared = await context.CallActivityAsync<PreparedEdit>(
                nameof(PrepareImageActivity),
                new PrepareInput(request.Id, request.Source, request.SourceETag, plan),
                retry
            );

            context.SetCustomStatus(EditStatus.At(stage = EditStage.CaptionAndDirections));
            var caption = plan.Caption is { } given
                ? Task.FromResult(new CaptionResult(given, EditProvenance.UserCaption, 0))
                : GpuStage.RunAsync<CaptionResult>(
                    context,
                    nameof(CaptionActivity),
                    prepared.Image,
                    request.Retry,
                    request.Gpu
                );
            var tasks = plan.Tasks.Select(EditTask.Parse).ToList();
            var means = tasks
                .SelectMany(t => new[] { t.Source.Value, t.Target.Value })
                .Distinct()
                .Select(word =>
                    GpuStage.RunAsync<WordMeanRef>(
                        context,
                        nameof(WordMeanActivity),
                        new WordMeanRequest(
                            word,
                            plan.Sentences,
                            plan.SentenceSets.TryGetValue(word, out var set) ? StorageLayout.Sentences(set) : null
                        ),
                        request.Retry,
                        request.Gpu
                    )
                )
                .ToList();
            await Task.WhenAll([caption, .. means]);
            var meanOf = means.ToDictionary(m => m.Result.Word, m => m.Result);

            context.SetCustomStatus(EditStatus.At(stage = EditStage.Invert));
            var inverted = await GpuStage.RunAsync<InvertResult>(
                context,
                nameof(InvertActivity),
                new InvertInput(request.Id, prepared.Image, caption.Result.Caption, plan.Method),
                request.Retry,
                request.Gpu
            );

            context.SetCustomStatus(EditStatus.At(stage = EditStage.Edit));
            var jobs = tasks
                .Select(t => new TaskDirections(t.Name, meanOf[t.Source.Value], meanOf[t.Target.Value]))
                .ToList();
            var batches =
                plan.Mode == EditMode.Batched ? [jobs] : jobs.Select(j => new List<TaskDirections> { j }).ToList();
            var edits = await Task.WhenAll(
                batches.Select(batch =>
                    GpuStage.RunAsync<EditResult>(
                        context,
                        nameof(EditActivity),
                        new EditInput(request.Id, inverted.Latent, batch, plan.Method),
                        request.Retry,
                        request.Gpu
                    )
                )
            );

            context.SetCustomStatus(EditStatus.At(stage = EditStage.Publish));
            var seconds = new Dictionary<string, double>
            {
                [EditStage.Prepare.Name] = prepared.Seconds,
                [EditStage.Caption.Name] = caption.Result.Seconds,
                [EditStage.Directions.Name] = means.Sum(m => m.Result.Seconds),
                [EditStage.Invert.Name] = inverted.Seconds,
                [EditStage.Edit.Name] = edits.Sum(e => e.Seconds),
                ["wall"] = (context.CurrentUtcDateTime - request.SubmittedAt.UtcDateTime).TotalSeconds,
            };
            var manifest = await context.CallActivityAsync<EditManifest>(
                nameof(PublishActivity),
                new PublishInput(
                    request,
                    plan,
                    prepared,
                    caption.Result,
                    [.. meanOf.Values],
                    [.. edits.SelectMany(e => e.Results)],
                    edits[0].Provider,
                    seconds
                ),
                retry
            );
            context.SetCustomStatus(EditStatus.At(EditStage.Complete));
            return manifest;
        }
        catch (Exception failure)
        {
            // Every failure, an activity's or this code's own, leaves
            // error.json and a status that says where it stopped.
            var kind =
                ActivityRetry.KindOf(failure) == FailureKind.InvalidInput ? EditError.InvalidRequest : EditError.Failed;
            var message = failure is TaskFailedException activity
                ? activity.FailureDetails.ErrorMessage
                : failure.Message;
            await context.CallActivityAsync<BlobRef>(
                nameof(RecordFailureActivity),
                new EditError(request.Id, stage, kind, message, context.CurrentUtcDateTime),
                retry
            );
            context.SetCustomStatus(EditStatus.FailedIn(stage));
            throw;
        }
    }
}
