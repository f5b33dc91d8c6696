namespace Pix2PixZero.Core.Imaging;

/// <summary>
/// The size a photo is processed at: its proportions scaled to a given area, each side rounded to a multiple the
/// model accepts. A square photo at a square area gets exactly that square, which is the size every photo was
/// stretched to before.
/// </summary>
public static class ProcessingSize
{
    /// <summary>
    /// Of the sizes whose sides are multiples of <paramref name="multiple"/> around the photo's proportions at
    /// <paramref name="maxArea"/> (each side rounded down or up, and the other side then as large as the area lets
    /// it be), the one whose aspect ratio is closest to the photo's with an area of at most
    /// <paramref name="maxArea"/>; of two as close, the larger. A side is never below <paramref name="multiple"/>, so
    /// a photo far thinner than the area allows keeps the aspect ratio the area does allow.
    /// </summary>
    public static PixelSize Pick(PixelSize photo, int multiple, long maxArea)
    {
        if (photo.Width < 1 || photo.Height < 1)
            throw new ArgumentOutOfRangeException(nameof(photo), photo, "the photo has no pixels");
        if (multiple < 1)
            throw new ArgumentOutOfRangeException(nameof(multiple), multiple, "the multiple must be at least 1");
        if (maxArea < (long)multiple * multiple)
            throw new ArgumentOutOfRangeException(
                nameof(maxArea),
                maxArea,
                $"the area must hold at least one {multiple}×{multiple} square"
            );
        var aspect = (double)photo.Width / photo.Height;
        var idealWidth = Math.Sqrt(maxArea * aspect);
        var idealHeight = Math.Sqrt(maxArea / aspect);

        var candidates = new List<PixelSize>();
        foreach (var width in Neighbours(idealWidth, multiple))
        {
            candidates.Add(new PixelSize(width, Nearest(width / aspect, multiple)));
            candidates.Add(new PixelSize(width, Largest(maxArea / width, multiple)));
        }
        foreach (var height in Neighbours(idealHeight, multiple))
        {
            candidates.Add(new PixelSize(Nearest(height * aspect, multiple), height));
            candidates.Add(new PixelSize(Largest(maxArea / height, multiple), height));
        }
        return candidates
            .Where(c => c.Width >= multiple && c.Height >= multiple && c.Area <= maxArea)
            .OrderBy(c => Math.Abs(Math.Log((double)c.Width / c.Height / aspect)))
            .ThenByDescending(c => c.Area)
            .First();
    }

    /// <summary>The multiples of <paramref name="multiple"/> just below and just above a side, at least one.</summary>
    private static int[] Neighbours(double side, int multiple)
    {
        var below = Math.Max(1, (int)Math.Floor(side / multiple));
        return [below * multiple, (below + 1) * multiple];
    }

    private static int Nearest(double side, int multiple) =>
        Math.Max(1, (int)Math.Round(side / multiple, MidpointRounding.AwayFromZero)) * multiple;

    private static int Largest(long side, int multiple) => (int)Math.Max(1, side / multiple) * multiple;
}
