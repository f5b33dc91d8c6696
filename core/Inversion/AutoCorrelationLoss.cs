using System.Numerics;

namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// The auto-correlation loss of one noise channel (pix2pix-zero, src/utils/ddim_inv.py, auto_corr_loss) and its
/// closed-form gradient. Pyramid n_0 = the S×S plane, n_{p+1} = avgpool2×2(n_p) without rescaling, stopping after the
/// first level whose side is ≤ 8 (64 → 64, 32, 16, 8; 16 → 16, 8). At level p with side s and roll r:
/// <c>L_p = mH² + mW²</c>, mH = mean(n ⊙ roll(n, r, H)), mW = mean(n ⊙ roll(n, r, W)),
/// roll(n, r)[i] = n[(i − r) mod s];
/// <c>∂L_p/∂n = (2 mH/s²)(roll(n, r, H) + roll(n, −r, H)) + (2 mW/s²)(roll(n, r, W) + roll(n, −r, W))</c>,
/// carried to full resolution by the avg-pool adjoint (nearest ×2 upsample, ÷4) level by level.
/// Generic so tests can check the closed form in double against finite differences; the product runs it in float
/// with the means accumulated in double. Buffers are allocated once per instance.
/// </summary>
internal sealed class AutoCorrelationLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly T Quarter = T.CreateChecked(0.25);
    private readonly T[][] _levels;
    private readonly T[][] _levelGradients;

    public AutoCorrelationLoss(int size)
    {
        LevelSizes = PyramidSizes(size);
        Size = size;
        _levels = new T[LevelSizes.Length][];
        _levelGradients = new T[LevelSizes.Length][];
        for (int p = 1; p < LevelSizes.Length; p++)
        {
            _levels[p] = new T[LevelSizes[p] * LevelSizes[p]];
            _levelGradients[p] = new T[LevelSizes[p] * LevelSizes[p]];
        }
    }

    public int Size { get; }

    /// <summary>Side of each pyramid level, full size first; one roll is drawn per entry.</summary>
    public int[] LevelSizes { get; }

    /// <summary>
    /// Pyramid sides for a square plane of side <paramref name="size"/>, or an error naming the problem.
    /// </summary>
    public static int[] PyramidSizes(int size)
    {
        if (size < 4)
            throw new ArgumentOutOfRangeException(
                nameof(size),
                size,
                "The auto-correlation loss needs a latent side of at least 4."
            );
        var sizes = new List<int>();
        for (int s = size; ; s /= 2)
        {
            sizes.Add(s);
            if (s <= 8)
                return [.. sizes];
            if (s % 2 != 0)
                throw new ArgumentOutOfRangeException(
                    nameof(size),
                    size,
                    $"The auto-correlation pyramid halves the latent side until it is ≤ 8; side {s} "
                        + "is odd. Use a latent side of the form k·2^n with k ≤ 8 (64 for 512×512 images)."
                );
        }
    }

    /// <summary>
    /// Writes ∂L/∂plane into <paramref name="gradient"/> and returns L, for the rolls given per level
    /// (<paramref name="rolls"/>[p] belongs to <see cref="LevelSizes"/>[p]).
    /// </summary>
    public double LossAndGradient(ReadOnlySpan<T> plane, ReadOnlySpan<int> rolls, Span<T> gradient)
    {
        int levelCount = LevelSizes.Length;
        if (plane.Length != Size * Size || gradient.Length != Size * Size)
            throw new ArgumentException(
                $"Expected planes of {Size}×{Size} values, got {plane.Length} and {gradient.Length}."
            );
        if (rolls.Length != levelCount)
            throw new ArgumentException(
                $"Expected one roll per pyramid level ({levelCount}), got {rolls.Length}.",
                nameof(rolls)
            );

        for (int p = 1; p < levelCount; p++)
            AveragePool(p == 1 ? plane : _levels[p - 1], LevelSizes[p - 1], _levels[p]);

        double loss = 0;
        for (int p = 0; p < levelCount; p++)
        {
            ReadOnlySpan<T> level = p == 0 ? plane : _levels[p];
            Span<T> levelGradient = p == 0 ? gradient : _levelGradients[p];
            loss += LevelLossAndGradient(level, LevelSizes[p], rolls[p], levelGradient);
        }

        for (int p = levelCount - 2; p >= 0; p--)
            AddPoolAdjoint(_levelGradients[p + 1], LevelSizes[p + 1], p == 0 ? gradient : _levelGradients[p]);
        return loss;
    }

    private static void AveragePool(ReadOnlySpan<T> fine, int fineSize, Span<T> coarse)
    {
        int coarseSize = fineSize / 2;
        for (int i = 0; i < coarseSize; i++)
        {
            var top = fine.Slice(2 * i * fineSize, fineSize);
            var bottom = fine.Slice((2 * i + 1) * fineSize, fineSize);
            for (int j = 0; j < coarseSize; j++)
                coarse[i * coarseSize + j] =
                    (top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1]) * Quarter;
        }
    }

    /// <summary>
    /// Adjoint of the 2×2 average pool: every fine pixel receives a quarter of its coarse pixel's gradient.
    /// </summary>
    private static void AddPoolAdjoint(ReadOnlySpan<T> coarseGradient, int coarseSize, Span<T> fineGradient)
    {
        int fineSize = coarseSize * 2;
        for (int i = 0; i < fineSize; i++)
        for (int j = 0; j < fineSize; j++)
            fineGradient[i * fineSize + j] += coarseGradient[(i / 2) * coarseSize + j / 2] * Quarter;
    }

    private static double LevelLossAndGradient(ReadOnlySpan<T> n, int s, int r, Span<T> gradient)
    {
        double sumH = 0,
            sumW = 0;
        for (int i = 0; i < s; i++)
        {
            var row = n.Slice(i * s, s);
            var rowRolledH = n.Slice(Wrap(i - r, s) * s, s);
            for (int j = 0; j < s; j++)
            {
                double value = double.CreateTruncating(row[j]);
                sumH += value * double.CreateTruncating(rowRolledH[j]);
                sumW += value * double.CreateTruncating(row[Wrap(j - r, s)]);
            }
        }
        double count = (double)s * s;
        double meanH = sumH / count,
            meanW = sumW / count;
        T coefficientH = T.CreateTruncating(2 * meanH / count);
        T coefficientW = T.CreateTruncating(2 * meanW / count);

        for (int i = 0; i < s; i++)
        {
            var row = n.Slice(i * s, s);
            var up = n.Slice(Wrap(i - r, s) * s, s);
            var down = n.Slice(Wrap(i + r, s) * s, s);
            var gradientRow = gradient.Slice(i * s, s);
            for (int j = 0; j < s; j++)
                gradientRow[j] =
                    coefficientH * (up[j] + down[j]) + coefficientW * (row[Wrap(j - r, s)] + row[Wrap(j + r, s)]);
        }
        return meanH * meanH + meanW * meanW;
    }

    private static int Wrap(int index, int size) => ((index % size) + size) % size;
}
