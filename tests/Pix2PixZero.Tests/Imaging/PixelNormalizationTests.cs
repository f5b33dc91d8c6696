using Pix2PixZero.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Tests.Imaging;

public class PixelNormalizationTests
{
    [Fact]
    public void Every_level_of_every_channel_equals_the_formula_in_chw_order()
    {
        float[] mean = [0.48145466f, 0.4578275f, 0.40821073f],
            std = [0.26862954f, 0.26130258f, 0.27577711f];
        var normalization = new PixelNormalization(255f, mean, std);
        using var image = new Image<Rgb24>(256, 1);
        for (var x = 0; x < 256; x++)
            image[x, 0] = new Rgb24((byte)x, (byte)(255 - x), (byte)(x * 7));

        var tensor = normalization.ToTensor(image);

        Assert.Equal(new[] { 1, 3, 1, 256 }, tensor.Dimensions.ToArray());
        for (var x = 0; x < 256; x++)
        {
            var p = image[x, 0];
            Assert.Equal((p.R / 255f - mean[0]) / std[0], tensor[0, 0, 0, x]);
            Assert.Equal((p.G / 255f - mean[1]) / std[1], tensor[0, 1, 0, x]);
            Assert.Equal((p.B / 255f - mean[2]) / std[2], tensor[0, 2, 0, x]);
        }
    }

    [Fact]
    public void Signed_unit_maps_bytes_to_minus_one_through_one()
    {
        using var image = new Image<Rgb24>(2, 1);
        image[0, 0] = new Rgb24(0, 128, 255);
        image[1, 0] = new Rgb24(255, 0, 64);

        var values = PixelNormalization.SignedUnit.ToTensor(image).Buffer.ToArray();

        Assert.Equal(new[] { -1f, 1f, 128 / 127.5f - 1f, -1f, 1f, 64 / 127.5f - 1f }, values);
    }

    [Fact]
    public void A_normalization_without_three_channels_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new PixelNormalization(255f, [0.5f], [0.5f, 0.5f, 0.5f]));
        Assert.Contains("3 means", e.Message);
    }
}
