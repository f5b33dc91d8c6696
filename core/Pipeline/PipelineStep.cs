using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Inversion;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// What the pipeline's one step-end callback sees (diffusers' <c>callback_on_step_end</c>): the stage, the steps of
/// it done so far out of its total, and what observers of that stage need. Step 0 announces a stage before its first
/// step; a stage has ended at its step <see cref="Total"/>. The callback runs on the compute thread before the next
/// step starts, so reports arrive in order; cancelling goes through the run's token, never through the callback.
/// </summary>
public sealed record PipelineStep(EditStage Stage, int Step, int Total)
{
    /// <summary>On the caption's step: the caption the photo is inverted with.</summary>
    public string? Caption { get; init; }

    /// <summary>
    /// On the caption's step: where <see cref="Caption"/> came from (<see cref="EditProvenance.BlipCaption"/> or
    /// <see cref="EditProvenance.UserCaption"/>).
    /// </summary>
    public string? CaptionSource { get; init; }

    /// <summary>On a word-means step: the word being averaged, or the last one once all are done.</summary>
    public string? Word { get; init; }

    /// <summary>
    /// On each inversion step: the step as it happened (the UNet's ε, the regularized ε, the latent).
    /// </summary>
    public InversionStepRecord? Inversion { get; init; }

    /// <summary>On each edit step: the reference latent and every edit's loss, gradient and latent.</summary>
    public EditStepRecord? Edit { get; init; }
}
