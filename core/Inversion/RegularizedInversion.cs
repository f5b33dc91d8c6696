using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Scheduling;

namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// One inversion step as it happened: step <see cref="Index"/> (from 0) of <see cref="Total"/>, the UNet's ε, the
/// regularized ε used, and the latent after the step.
/// </summary>
public sealed record InversionStepRecord(
    int Index,
    int Total,
    InversionStep Step,
    float[] RawNoise,
    float[] RegularizedNoise,
    float[] Latent
);

/// <summary>
/// Regularized DDIM inversion (DESIGN.md §1.2 step 4): z0 is walked up the schedule conditioned on the caption,
/// without CFG; before each scheduler step the predicted noise is pushed toward white noise by
/// <see cref="NoiseRegularizer"/> (the UNet's input is untouched). One roll sequence serves the whole run.
/// </summary>
public sealed class RegularizedInversion(INoisePredictor unet, DdimScheduler scheduler)
{
    /// <param name="onStepEnd">Sees every step as it ends (progress; tests compare them with the PyTorch reference).
    /// </param>
    public DenseTensor<float> Invert(
        DenseTensor<float> z0,
        DenseTensor<float> captionEmbedding,
        int steps,
        InversionConvention convention,
        NoiseRegularizer regularizer,
        ulong seed,
        Action<InversionStepRecord>? onStepEnd = null,
        CancellationToken cancellationToken = default
    )
    {
        var plan = scheduler.InversionSteps(steps, convention);
        var rolls = new SeededRolls(seed);
        var latent = z0.Buffer.ToArray();
        for (var i = 0; i < plan.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (raw, regularized) = Noise(
                new DenseTensor<float>(latent, z0.Dimensions),
                plan[i].Timestep,
                captionEmbedding,
                regularizer,
                rolls
            );
            var next = new float[latent.Length];
            DdimScheduler.InvertStep(plan[i], regularized, latent, next);
            latent = next;
            onStepEnd?.Invoke(new InversionStepRecord(i, plan.Length, plan[i], raw, regularized, latent));
        }
        return new DenseTensor<float>(latent, z0.Dimensions);
    }

    /// <summary>ε at one step: the UNet's prediction, then the regularized copy the scheduler uses.</summary>
    public (float[] Raw, float[] Regularized) Noise(
        DenseTensor<float> latent,
        int timestep,
        DenseTensor<float> captionEmbedding,
        NoiseRegularizer regularizer,
        SeededRolls rolls
    )
    {
        var raw = unet.PredictNoise(latent, timestep, captionEmbedding).Buffer.ToArray();
        var regularized = (float[])raw.Clone();
        var d = latent.Dimensions;
        regularizer.Apply(regularized, d[1], d[2], d[3], rolls);
        return (raw, regularized);
    }
}
