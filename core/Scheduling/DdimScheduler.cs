using System.Numerics.Tensors;

namespace Pix2PixZero.Core.Scheduling;

/// <summary>
/// Deterministic DDIM (eta = 0) with "leading" timestep spacing, as diffusers' DDIMScheduler configured for SD 1.x.
/// Pure math over spans: no I/O, no tensors, no state beyond the schedule.
/// </summary>
public sealed class DdimScheduler
{
    public const int MinSteps = 2;

    private readonly float[] _alphasCumprod;

    public DdimScheduler(SchedulerConfig config)
    {
        config.Validate();
        Config = config;
        _alphasCumprod = ComputeAlphasCumprod(config);
        // set_alpha_to_one = false (SD 1.x): the step past t = 0 lands on ᾱ[0], not on 1.
        FinalAlphaCumprod = config.SetAlphaToOne ? 1f : _alphasCumprod[0];
    }

    public SchedulerConfig Config { get; }

    public int TrainTimesteps => Config.TrainTimesteps;

    public float FinalAlphaCumprod { get; }

    public float AlphaCumprod(int t) => t >= 0 ? _alphasCumprod[t] : FinalAlphaCumprod;

    /// <summary>The most steps whose timesteps, offset by steps_offset, stay inside the training schedule.</summary>
    public int MaxSteps => TrainTimesteps - Config.StepsOffset;

    public int StepRatio(int steps)
    {
        if (steps < MinSteps || steps > MaxSteps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be in {MinSteps}..{MaxSteps}");
        return TrainTimesteps / steps;
    }

    /// <summary>
    /// Denoising timesteps, highest first: (steps−1−i)·ratio + offset, e.g. 981, 961, …, 1 for 50 steps.
    /// </summary>
    public int[] Timesteps(int steps)
    {
        var ratio = StepRatio(steps);
        var timesteps = new int[steps];
        for (var i = 0; i < steps; i++)
            timesteps[i] = (steps - 1 - i) * ratio + Config.StepsOffset;
        return timesteps;
    }

    /// <summary>The previous (less noisy) timestep of a denoising step; negative past the start.</summary>
    public int PreviousTimestep(int t, int steps) => t - StepRatio(steps);

    /// <summary>x_prev = √ᾱ_prev·x0̂ + √(1−ᾱ_prev)·ε with x0̂ = (x − √(1−ᾱ_t)·ε)/√ᾱ_t.</summary>
    public void Step(
        ReadOnlySpan<float> noise,
        int t,
        int steps,
        ReadOnlySpan<float> sample,
        Span<float> destination
    ) => Transfer(sample, noise, AlphaCumprod(t), AlphaCumprod(PreviousTimestep(t, steps)), destination);

    /// <summary>The upward steps of DDIM inversion in the given convention, in the order they are run.</summary>
    public InversionStep[] InversionSteps(int steps, InversionConvention convention)
    {
        var ratio = StepRatio(steps);
        var ascending = Timesteps(steps);
        Array.Reverse(ascending);
        return convention switch
        {
            InversionConvention.Aligned => ascending
                .Select(t => new InversionStep(t, AlphaCumprod(t - ratio), AlphaCumprod(t)))
                .ToArray(),
            // The public code skips the first and last timesteps and indexes ᾱ one below the UNet's timestep.
            InversionConvention.Official => ascending[1..^1]
                .Select(t => new InversionStep(t, AlphaCumprod(t - 1), AlphaCumprod(t + ratio - 1)))
                .ToArray(),
            _ => throw new ArgumentOutOfRangeException(nameof(convention), convention, "unknown inversion convention"),
        };
    }

    /// <summary>One inversion step: the same DDIM formula run from ᾱ_from up to ᾱ_to.</summary>
    public static void InvertStep(
        InversionStep step,
        ReadOnlySpan<float> noise,
        ReadOnlySpan<float> sample,
        Span<float> destination
    ) => Transfer(sample, noise, step.AlphaCumprodFrom, step.AlphaCumprodTo, destination);

    /// <summary>Moves x from noise level ᾱ_from to ᾱ_to along the predicted noise ε (DDIM, eta = 0), in fp32.</summary>
    public static void Transfer(
        ReadOnlySpan<float> sample,
        ReadOnlySpan<float> noise,
        float alphaFrom,
        float alphaTo,
        Span<float> destination
    )
    {
        if (noise.Length != sample.Length || destination.Length != sample.Length)
            throw new ArgumentException(
                $"sample ({sample.Length}), noise ({noise.Length}) and "
                    + $"destination ({destination.Length}) must have the same length"
            );
        if (destination.Overlaps(noise))
            throw new ArgumentException(
                "destination must not overlap noise: noise is read again after "
                    + "destination is first written (it may be the sample itself)"
            );
        var sqrtFrom = MathF.Sqrt(alphaFrom);
        var sqrtOneMinusFrom = MathF.Sqrt(1f - alphaFrom);
        var sqrtTo = MathF.Sqrt(alphaTo);
        var sqrtOneMinusTo = MathF.Sqrt(1f - alphaTo);
        // One elementwise pass per operation, each rounding as the
        // scalar formula does: x0̂ into destination, then x_to.
        TensorPrimitives.MultiplyAdd(noise, -sqrtOneMinusFrom, sample, destination);
        TensorPrimitives.Divide(destination, sqrtFrom, destination);
        TensorPrimitives.Multiply(destination, sqrtTo, destination);
        TensorPrimitives.MultiplyAdd(noise, sqrtOneMinusTo, destination, destination);
    }

    private static float[] ComputeAlphasCumprod(SchedulerConfig config)
    {
        var betas = Betas(config);
        var result = new float[betas.Length];
        var product = 1f;
        for (var i = 0; i < betas.Length; i++)
        {
            product *= 1f - betas[i];
            result[i] = product;
        }
        return result;
    }

    /// <summary>diffusers' betas in float32: computed in double, rounded once (<c>torch.tensor(…)</c>).</summary>
    private static float[] Betas(SchedulerConfig config)
    {
        if (config.TrainedBetas is { } trained)
            return trained.Select(b => (float)b).ToArray();
        var n = config.TrainTimesteps;
        var betas = new float[n];
        for (var i = 0; i < n; i++)
        {
            var fraction = (double)i / (n - 1);
            betas[i] = config.BetaSchedule switch
            {
                // linspace over √β, squared (float32 like torch's linspace(..., dtype=float32) ** 2).
                SchedulerConfig.ScaledLinear => Square(
                    (float)(
                        Math.Sqrt(config.BetaStart)
                        + fraction * (Math.Sqrt(config.BetaEnd) - Math.Sqrt(config.BetaStart))
                    )
                ),
                SchedulerConfig.Linear => (float)(config.BetaStart + fraction * (config.BetaEnd - config.BetaStart)),
                // betas_for_alpha_bar: the cosine ᾱ(t) of Nichol & Dhariwal, each beta capped at 0.999.
                SchedulerConfig.SquaredCosine => (float)
                    Math.Min(1 - CosineAlphaBar((i + 1.0) / n) / CosineAlphaBar((double)i / n), 0.999),
                _ => throw new InvalidOperationException($"beta_schedule {config.BetaSchedule} passed validation"),
            };
        }
        return betas;
    }

    private static double CosineAlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);

    private static float Square(float x) => x * x;
}
