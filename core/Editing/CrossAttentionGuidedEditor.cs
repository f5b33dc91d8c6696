using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Scheduling;

namespace Pix2PixZero.Core.Editing;

/// <summary>
/// The texts of one edit: the negative row, the reference (caption) row and one edited row per direction.
/// </summary>
public sealed record EditConditioning(
    float[] Negative,
    float[] Reference,
    IReadOnlyList<float[]> Edited,
    int[] RowShape
);

/// <summary>
/// Step <see cref="Index"/> (from 0) of <see cref="Total"/> of the lockstep loop as it happened, for observers (tests,
/// progress, debugging).
/// </summary>
public sealed record EditStepRecord(
    int Index,
    int Total,
    int Timestep,
    float[] ReferenceLatent,
    IReadOnlyList<EditStepState> Edits
);

public sealed record EditStepState(float Loss, float[] Gradient, float[] GuidedSample, float[] Latent);

/// <summary>
/// The reference and edit passes of pix2pix-zero (DESIGN.md §1.2 steps 5–6), run in lockstep from the same z_T:
/// at each timestep the reference pass produces its cross-attention maps, then every edit takes one gradient step
/// toward those maps and one CFG denoising step. Only the current step's maps are held, so memory does not grow
/// with the number of steps, and several directions share one reference pass.
/// </summary>
public sealed class CrossAttentionGuidedEditor(
    AttentionProbe probe,
    GuidanceModel guidance,
    INoisePredictor unet,
    DdimScheduler scheduler
)
{
    public IReadOnlyList<DenseTensor<float>> Edit(
        DenseTensor<float> zT,
        EditConditioning text,
        int steps,
        float guidanceScale,
        float crossAttentionGuidance,
        Action<EditStepRecord>? onStepEnd = null,
        CancellationToken cancellationToken = default
    )
    {
        var timesteps = scheduler.Timesteps(steps);
        var referenceContext = LatentMath.Stack(text.RowShape, text.Negative, text.Reference);
        var editContexts = text.Edited.Select(e => LatentMath.Stack(text.RowShape, text.Negative, e)).ToArray();
        var shape = zT.Dimensions.ToArray();
        using var passes = Passes(shape, referenceContext, editContexts);
        var reference = zT.Buffer.ToArray();
        var edits = editContexts.Select(_ => zT.Buffer.ToArray()).ToArray();
        var guidedNoise = new float[zT.Length];
        // Each step's latents, gradients and guided pairs are new arrays (latent-sized) that the step record hands to
        // its observer; nothing map-sized is copied into managed memory.
        for (var i = 0; i < timesteps.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var t = timesteps[i];
            var nextReference = ReferenceNext(passes, reference, t, steps, guidanceScale, guidedNoise);
            var states = new EditStepState[edits.Length];
            for (var k = 0; k < edits.Length; k++)
            {
                states[k] = EditNext(passes, k, edits[k], t, steps, guidanceScale, crossAttentionGuidance, guidedNoise);
                edits[k] = states[k].Latent;
            }
            reference = nextReference;
            onStepEnd?.Invoke(new EditStepRecord(i, timesteps.Length, t, reference, states));
        }
        return edits.Select(e => new DenseTensor<float>(e, shape)).ToArray();
    }

    // Bound buffers where the graphs allow (BoundEditPasses.Supports), else managed tensors through RowBatches.
    private IEditPasses Passes(int[] shape, DenseTensor<float> referenceContext, DenseTensor<float>[] editContexts)
    {
        if (BoundEditPasses.Supports(probe, guidance, unet))
            return new BoundEditPasses(probe, guidance, shape, referenceContext, editContexts);
        int[] pairShape = [2, .. shape[1..]];
        return new ManagedEditPasses(probe, guidance, unet, pairShape, referenceContext, editContexts);
    }

    /// <summary>Reference pass, one step: ε and the maps at [x, x] with [c_neg, c], CFG, DDIM step.</summary>
    public (DenseTensor<float> Latent, DenseTensor<float>[] Maps) ReferenceStep(
        DenseTensor<float> latent,
        int timestep,
        int steps,
        DenseTensor<float> context,
        float guidanceScale
    )
    {
        using var passes = new ManagedEditPasses(probe, guidance, unet, PairShape(latent), context, []);
        var next = ReferenceNext(
            passes,
            latent.Buffer.ToArray(),
            timestep,
            steps,
            guidanceScale,
            new float[latent.Length]
        );
        return (new DenseTensor<float>(next, latent.Dimensions), [.. passes.Maps]);
    }

    /// <summary>
    /// Edit pass, one step: x2' = [x, x] − λ_xa·∂L/∂x2 with L the distance of the maps at ([x, x], [c_neg, c_edit])
    /// to the reference maps; then ε at x2', CFG, and the DDIM step from x2'[0] — the negative half, as the public
    /// code does.
    /// </summary>
    public EditStepState EditStep(
        DenseTensor<float> latent,
        int timestep,
        int steps,
        DenseTensor<float> context,
        IReadOnlyList<DenseTensor<float>> referenceMaps,
        float guidanceScale,
        float crossAttentionGuidance
    )
    {
        using var passes = new ManagedEditPasses(probe, guidance, unet, PairShape(latent), context, [context])
        {
            Maps = referenceMaps,
        };
        return EditNext(
            passes,
            0,
            latent.Buffer.ToArray(),
            timestep,
            steps,
            guidanceScale,
            crossAttentionGuidance,
            new float[latent.Length]
        );
    }

    private static int[] PairShape(DenseTensor<float> latent) => [2, .. latent.Dimensions[1..]];

    // The reference pass's CFG and DDIM step from the pair's noise; the maps stay with the passes.
    private float[] ReferenceNext(
        IEditPasses passes,
        float[] latent,
        int timestep,
        int steps,
        float guidanceScale,
        float[] guidedNoise
    )
    {
        LatentMath.GuidedNoise(passes.Reference(latent, timestep), guidanceScale, guidedNoise);
        var next = new float[latent.Length];
        scheduler.Step(guidedNoise, timestep, steps, latent, next);
        return next;
    }

    private EditStepState EditNext(
        IEditPasses passes,
        int edit,
        float[] latent,
        int timestep,
        int steps,
        float guidanceScale,
        float crossAttentionGuidance,
        float[] guidedNoise
    )
    {
        var size = latent.Length;
        var gradient = new float[2 * size];
        var loss = passes.Guide(edit, latent, timestep, gradient);
        var guided = new float[2 * size];
        LatentMath.Twice(latent, guided);
        LatentMath.Descend(guided, gradient, crossAttentionGuidance);
        LatentMath.GuidedNoise(passes.Noise(edit, guided, timestep), guidanceScale, guidedNoise);
        // The DDIM step from x2'[0], the negative half, as the public code does.
        var next = new float[size];
        scheduler.Step(guidedNoise, timestep, steps, guided.AsSpan(0, size), next);
        return new EditStepState(loss, gradient, guided, next);
    }
}
