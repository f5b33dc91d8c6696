using System.Numerics;

namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// The auto-correlation loss of one noise channel (pix2pix-zero, src/utils/ddim_inv.py, auto_corr_loss) and its
/// closed-form gradient. Pyramid n_0 = the H×W plane, n_{p+1} = avgpool2×2(n_p) without rescaling (floor sizes, as
/// <c>F.avg_pool2d</c>: an odd last row or column is left out), stopping after the first level whose height is ≤ 8
/// (64 → 64, 32, 16, 8; 16 → 16, 8), or at a level one column wide, which the public code cannot pool. At level p of
/// h×w with roll r (drawn from the height's range, and used for both axes as the public code does):
/// <c>L_p = mH² + mW²</c>, mH = mean(n ⊙ roll(n, r, H)), mW = mean(n ⊙ roll(n, r, W)),
/// roll(n, r)[i] = n[(i − r) mod size];
/// <c>∂L_p/∂n = (2 mH/hw)(roll(n, r, H) + roll(n, −r, H)) + (2 mW/hw)(roll(n, r, W) + roll(n, −r, W))</c>,
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
        : this(size, size) { }

    public AutoCorrelationLoss(int height, int width)
    {
        Levels = Pyramid(height, width);
        Height = height;
        Width = width;
        _levels = new T[Levels.Length][];
        _levelGradients = new T[Levels.Length][];
        for (int p = 1; p < Levels.Length; p++)
        {
            _levels[p] = new T[Levels[p].Height * Levels[p].Width];
            _levelGradients[p] = new T[Levels[p].Height * Levels[p].Width];
        }
    }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Size of each pyramid level, full size first; one roll is drawn per entry, from its height.</summary>
    public (int Height, int Width)[] Levels { get; }

    /// <summary>Pyramid levels for a plane of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static (int Height, int Width)[] Pyramid(int height, int width)
    {
        if (height < 4 || width < 1)
            throw new ArgumentOutOfRangeException(
                nameof(height),
                $"{height}×{width}",
                "The auto-correlation loss needs a latent at least 4 high and 1 wide."
            );
        var levels = new List<(int, int)>();
        for (int h = height, w = width; ; h /= 2, w /= 2)
        {
            levels.Add((h, w));
            if (h <= 8 || w < 2)
                return [.. levels];
        }
    }

    /// <summary>
    /// Writes ∂L/∂plane into <paramref name="gradient"/> and returns L, for the rolls given per level
    /// (<paramref name="rolls"/>[p] belongs to <see cref="Levels"/>[p]).
    /// </summary>
    public double LossAndGradient(ReadOnlySpan<T> plane, ReadOnlySpan<int> rolls, Span<T> gradient)
    {
        int levelCount = Levels.Length;
        if (plane.Length != Height * Width || gradient.Length != Height * Width)
            throw new ArgumentException(
                $"Expected planes of {Height}×{Width} values, got {plane.Length} and {gradient.Length}."
            );
        if (rolls.Length != levelCount)
            throw new ArgumentException(
                $"Expected one roll per pyramid level ({levelCount}), got {rolls.Length}.",
                nameof(rolls)
            );

        // The full-size gradient is written by level 0, then the coarser levels' gradients are added to it.
        for (int p = 1; p < levelCount; p++)
            AveragePool(p == 1 ? plane : _levels[p - 1], Levels[p - 1], _levels[p], Levels[p]);

        double loss = 0;
        for (int p = 0; p < levelCount; p++)
        {
            ReadOnlySpan<T> level = p == 0 ? plane : _levels[p];
            Span<T> levelGradient = p == 0 ? gradient : _levelGradients[p];
            loss += LevelLossAndGradient(level, Levels[p], rolls[p], levelGradient);
        }

        for (int p = levelCount - 2; p >= 0; p--)
            AddPoolAdjoint(_levelGradients[p + 1], Levels[p + 1], p == 0 ? gradient : _levelGradients[p], Levels[p]);
        return loss;
    }

    private static void AveragePool(
        ReadOnlySpan<T> fine,
        (int Height, int Width) fineSize,
        Span<T> coarse,
        (int Height, int Width) coarseSize
    )
    {
        int fw = fineSize.Width;
        for (int i = 0; i < coarseSize.Height; i++)
        {
            var top = fine.Slice(2 * i * fw, fw);
            var bottom = fine.Slice((2 * i + 1) * fw, fw);
            for (int j = 0; j < coarseSize.Width; j++)
                coarse[i * coarseSize.Width + j] =
                    (top[2 * j] + top[2 * j + 1] + bottom[2 * j] + bottom[2 * j + 1]) * Quarter;
        }
    }

    /// <summary>
    /// Adjoint of the 2×2 average pool: every pooled fine pixel receives a quarter of its coarse pixel's gradient (an
    /// odd last row or column was not pooled and receives nothing).
    /// </summary>
    private static void AddPoolAdjoint(
        ReadOnlySpan<T> coarseGradient,
        (int Height, int Width) coarseSize,
        Span<T> fineGradient,
        (int Height, int Width) fineSize
    )
    {
        for (int i = 0; i < 2 * coarseSize.Height; i++)
        for (int j = 0; j < 2 * coarseSize.Width; j++)
            fineGradient[i * fineSize.Width + j] += coarseGradient[(i / 2) * coarseSize.Width + j / 2] * Quarter;
    }

    private static double LevelLossAndGradient(ReadOnlySpan<T> n, (int Height, int Width) size, int r, Span<T> gradient)
    {
        var (h, w) = size;
        double sumH = 0,
            sumW = 0;
        for (int i = 0; i < h; i++)
        {
            var row = n.Slice(i * w, w);
            var rowRolledH = n.Slice(Wrap(i - r, h) * w, w);
            for (int j = 0; j < w; j++)
            {
                double value = double.CreateTruncating(row[j]);
                sumH += value * double.CreateTruncating(rowRolledH[j]);
                sumW += value * double.CreateTruncating(row[Wrap(j - r, w)]);
            }
        }
        double count = (double)h * w;
        double meanH = sumH / count,
            meanW = sumW / count;
        T coefficientH = T.CreateTruncating(2 * meanH / count);
        T coefficientW = T.CreateTruncating(2 * meanW / count);

        for (int i = 0; i < h; i++)
        {
            var row = n.Slice(i * w, w);
            var up = n.Slice(Wrap(i - r, h) * w, w);
            var down = n.Slice(Wrap(i + r, h) * w, w);
            var gradientRow = gradient.Slice(i * w, w);
            for (int j = 0; j < w; j++)
                gradientRow[j] =
                    coefficientH * (up[j] + down[j]) + coefficientW * (row[Wrap(j - r, w)] + row[Wrap(j + r, w)]);
        }
        return meanH * meanH + meanW * meanW;
    }

    private static int Wrap(int index, int size) => ((index % size) + size) % size;
}
