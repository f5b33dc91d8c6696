using Pix2PixZero.Core.Imaging;

namespace Pix2PixZero.Tests.Imaging;

/// <summary>
/// The processing size keeps the photo's proportions as closely as sides that are multiples of the UNet's factor
/// allow, within the area asked for; a square photo gets the square every photo was stretched to before.
/// </summary>
public class ProcessingSizeTests
{
    private const long Sd = 512L * 512;

    [Theory]
    [InlineData(512, 64, 512L * 512, 512)]
    [InlineData(1000, 64, 512L * 512, 512)]
    [InlineData(37, 64, 512L * 512, 512)]
    [InlineData(512, 64, 768L * 768, 768)]
    [InlineData(300, 64, 128L * 128, 128)]
    [InlineData(4000, 128, 1024L * 1024, 1024)]
    public void A_square_photo_gets_the_square_of_the_area(int side, int multiple, long area, int expected) =>
        Assert.Equal(new PixelSize(expected, expected), ProcessingSize.Pick(new PixelSize(side, side), multiple, area));

    [Theory]
    [InlineData(1920, 1080, 640, 384)] // 16:9
    [InlineData(1080, 1920, 384, 640)] // 9:16
    [InlineData(768, 512, 576, 384)] // 3:2, exact
    [InlineData(2048, 512, 1024, 256)] // 4:1, exact
    [InlineData(640, 480, 512, 384)] // 4:3, exact: closer than 576×448 (9:7), though smaller
    [InlineData(3000, 300, 1280, 128)] // 10:1, exact
    [InlineData(300, 3000, 128, 1280)] // 1:10
    public void A_photo_gets_its_proportions_rounded_to_multiples_within_the_area(
        int width,
        int height,
        int expectedWidth,
        int expectedHeight
    ) => Assert.Equal(new PixelSize(expectedWidth, expectedHeight), ProcessingSize.Pick(new(width, height), 64, Sd));

    [Fact]
    public void A_512_by_288_photo_on_the_tiny_model_gets_128_by_64() =>
        Assert.Equal(new PixelSize(128, 64), ProcessingSize.Pick(new(512, 288), 64, 128L * 128));

    [Theory]
    [InlineData(10000, 100, 4096, 64)]
    [InlineData(100, 10000, 64, 4096)]
    [InlineData(5000, 1, 4096, 64)]
    public void A_photo_thinner_than_the_area_allows_gets_one_multiple_across_and_the_whole_area(
        int width,
        int height,
        int expectedWidth,
        int expectedHeight
    ) => Assert.Equal(new PixelSize(expectedWidth, expectedHeight), ProcessingSize.Pick(new(width, height), 64, Sd));

    [Fact]
    public void Every_size_has_sides_that_are_multiples_within_the_area_and_the_proportions_nearly_kept()
    {
        var random = new Random(22);
        var worst = 0.0;
        foreach (var multiple in new[] { 8, 64, 128 })
        foreach (var areaSide in new[] { 2, 4, 8, 12 })
            for (var i = 0; i < 500; i++)
            {
                var area = (long)areaSide * multiple * areaSide * multiple;
                var photo = new PixelSize(random.Next(1, 5000), random.Next(1, 5000));
                var size = ProcessingSize.Pick(photo, multiple, area);
                Assert.True(size.Width % multiple == 0 && size.Height % multiple == 0, $"{photo} → {size}");
                Assert.True(size.Width >= multiple && size.Height >= multiple, $"{photo} → {size}");
                Assert.True(size.Area <= area, $"{photo} → {size}, area {size.Area} > {area}");
                var aspect = (double)photo.Width / photo.Height;
                // Where the area holds the proportions with at least 4 multiples on the short side, rounding each side
                // by less than one multiple keeps them within 10% and most of the area.
                if (Math.Min(aspect, 1 / aspect) * areaSide * areaSide >= 16)
                {
                    var error = Math.Abs((double)size.Width / size.Height / aspect - 1);
                    worst = Math.Max(worst, error);
                    Assert.True(error <= 0.1, $"{photo} → {size}: aspect off by {error:P1}");
                    Assert.True(size.Area >= 0.6 * area, $"{photo} → {size}: {size.Area} of {area}");
                }
            }
        Assert.True(worst > 0, "some photo's proportions had to be rounded");
    }

    [Fact]
    public void An_area_that_holds_no_multiple_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessingSize.Pick(new(100, 100), 64, 63L * 63));
}
