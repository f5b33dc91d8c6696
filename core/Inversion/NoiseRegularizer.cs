using System.Numerics.Tensors;

namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// Pushes a predicted noise ε [1, C, H, W] toward white noise in place, before each inversion scheduler step
/// (DESIGN.md §1.2 step 4; public loop in src/utils/ddim_inv.py, DDIMInversion.__call__):
/// <code>
/// repeat OuterIterations:
///     repeat AutoCorrelationRolls:  ε −= λ_ac · (∇L_ac(ε) / AutoCorrelationRolls)    (fresh rolls each time)
///     ε −= λ_kl · ∇L_kl(ε)
/// </code>
/// What the public code does, and we match: L_ac is summed over channels, each channel taken alone as
/// <c>noise[:, c]</c> of shape [1,1,H,W] and pooled with <c>F.avg_pool2d(kernel_size=2)</c>; one roll is drawn per
/// channel per level and used for both the H and the W shift; the gradient is taken at ε before the step (a fresh
/// leaf each time), so channels are independent and are updated one after another here. L_kl is over the whole
/// tensor. Rolls are drawn in <see cref="SeededRolls"/>' documented order; the one difference from the public code
/// (r ≥ 1) is described there. Runs in float with double accumulation; buffers are reused across calls.
/// </summary>
public sealed class NoiseRegularizer
{
    private readonly NoiseRegularizerOptions _options;
    private AutoCorrelationLoss<float>? _autoCorrelation;
    private float[] _gradient = [];
    private int[] _rolls = [];

    public NoiseRegularizer(NoiseRegularizerOptions? options = null)
    {
        _options = (options ?? new NoiseRegularizerOptions()).Validate();
    }

    public NoiseRegularizerOptions Options => _options;

    public void Apply(Span<float> noise, int channels, int height, int width, SeededRolls rolls)
    {
        ArgumentNullException.ThrowIfNull(rolls);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        if (noise.Length != channels * height * width)
            throw new ArgumentException(
                $"Noise has {noise.Length} values; [1, {channels}, {height}, {width}] "
                    + $"needs {channels * height * width}.",
                nameof(noise)
            );
        var autoCorrelation = Prepare(height, width);

        int planeSize = height * width;
        float acStepScale = _options.LambdaAc;
        float rollCount = _options.AutoCorrelationRolls;
        for (int outer = 0; outer < _options.OuterIterations; outer++)
        {
            if (_options.LambdaAc > 0)
            {
                for (int step = 0; step < _options.AutoCorrelationRolls; step++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        var plane = noise.Slice(c * planeSize, planeSize);
                        for (int p = 0; p < _rolls.Length; p++)
                            _rolls[p] = rolls.Next(autoCorrelation.Levels[p].Height);
                        autoCorrelation.LossAndGradient(plane, _rolls, _gradient);
                        TensorPrimitives.Divide(_gradient, rollCount, _gradient);
                        TensorPrimitives.MultiplyAdd(_gradient, -acStepScale, plane, plane);
                    }
                }
            }
            if (_options.LambdaKl > 0)
                KlDivergenceLoss.Step(noise, _options.LambdaKl);
        }
    }

    private AutoCorrelationLoss<float> Prepare(int height, int width)
    {
        if (_autoCorrelation is null || (_autoCorrelation.Height, _autoCorrelation.Width) != (height, width))
        {
            _autoCorrelation = new AutoCorrelationLoss<float>(height, width);
            _gradient = new float[height * width];
            _rolls = new int[_autoCorrelation.Levels.Length];
        }
        return _autoCorrelation;
    }
}
