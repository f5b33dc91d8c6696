using System.Diagnostics;
using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Functions.Storage;

/// <summary>Where a running request is inside a long activity: the step of the current stage.</summary>
public sealed record StepProgress(EditStage Stage, int Step, int Total, DateTimeOffset At);

/// <summary>
/// Publishes a model activity's step progress to <c>work/{id}/progress.json</c> for the status endpoint (an
/// orchestration's custom status can only change between activities). At most one write a second, plus each stage's
/// first and last step. Progress is advisory: while storage is away, a write gives up after
/// <see cref="WriteTimeout"/> and the next one waits <see cref="Backoff"/>, so an outage neither fails nor stalls the
/// inversion or edit it describes; a write also gives up when <paramref name="stopping"/> (the stage's own token) is
/// cancelled, so a write to slow storage never holds up a cancelled or stopping stage.
/// </summary>
public sealed class ProgressBlob(PipelineBlobs blobs, string requestId, CancellationToken stopping = default)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan Backoff = TimeSpan.FromSeconds(10);
    private readonly Stopwatch _sinceWrite = Stopwatch.StartNew();
    private bool _failing;
    private EditStage? _stage;

    /// <summary>The pipeline's step-end callback.</summary>
    public void OnStepEnd(PipelineStep value)
    {
        var boundary = value.Stage != _stage || value.Step == 0 || value.Step >= value.Total;
        var due = _failing ? _sinceWrite.Elapsed >= Backoff : boundary || _sinceWrite.Elapsed >= Interval;
        if (!due)
            return;
        _stage = value.Stage;
        _sinceWrite.Restart();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(WriteTimeout);
        try
        {
            // The pipeline reports from its compute thread and waits
            // for nothing else, so a short blocking write is fine.
            blobs
                .WriteJsonAsync(
                    StorageLayout.Progress(requestId),
                    new StepProgress(value.Stage, value.Step, value.Total, DateTimeOffset.UtcNow),
                    deadline.Token
                )
                .GetAwaiter()
                .GetResult();
            _failing = false;
        }
        catch (Exception e)
            when (e is Azure.RequestFailedException or AggregateException or OperationCanceledException or IOException)
        {
            _failing = true;
        }
    }

    public static Task<StepProgress?> ReadAsync(
        PipelineBlobs blobs,
        string requestId,
        CancellationToken cancellationToken
    ) => blobs.ReadJsonAsync<StepProgress>(StorageLayout.Progress(requestId), cancellationToken);
}
