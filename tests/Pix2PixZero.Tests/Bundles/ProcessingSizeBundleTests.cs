using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Bundles;

/// <summary>
/// A bundle picks a photo's processing size from what its own graphs accept: the VAE's factor and the UNet's
/// downsamplings (from the configs, else counted in the graphs), the model's area, a fixed export's one size.
/// </summary>
public class ProcessingSizeBundleTests
{
    [Fact]
    public void The_tiny_models_sides_are_multiples_of_8_times_2_cubed_from_their_configs_or_from_their_graphs()
    {
        using (var bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory()))
            Assert.Equal((8, 64, 128), (bundle.VaeScale, bundle.SizeMultiple, bundle.ImageSize));

        var copy = RepoPaths.CopyOfTinySd();
        try
        {
            foreach (var component in new[] { "unet", "vae_encoder", "vae_decoder" })
                File.Delete(Path.Combine(copy, component, "config.json"));
            using var bare = ModelBundle.Open(copy, TestProvider.NewFactory());
            Assert.Equal((8, 64), (bare.VaeScale, bare.SizeMultiple));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        }
    }

    [Fact]
    public void A_config_with_more_unet_levels_asks_for_larger_multiples()
    {
        var copy = RepoPaths.CopyOfTinySd();
        try
        {
            var config = Path.Combine(copy, "unet", "config.json");
            File.WriteAllText(
                config,
                File.ReadAllText(config).Replace("\"block_out_channels\": [", "\"block_out_channels\": [\n    16,")
            );
            using var bundle = ModelBundle.Open(copy, TestProvider.NewFactory());
            Assert.Equal(128, bundle.SizeMultiple);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true);
        }
    }

    [Theory]
    [InlineData(512, 512, null, 128, 128)]
    [InlineData(512, 288, null, 128, 64)]
    [InlineData(288, 512, null, 64, 128)]
    [InlineData(512, 288, 256, 320, 192)]
    [InlineData(512, 512, 192, 192, 192)]
    public void A_dynamic_unet_processes_the_photos_proportions_within_the_area_asked_for(
        int width,
        int height,
        int? side,
        int expectedWidth,
        int expectedHeight
    )
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        Assert.Equal(
            new PixelSize(expectedWidth, expectedHeight),
            bundle.ProcessingSize(new PixelSize(width, height), side)
        );
    }

    [Fact]
    public void A_unet_exported_at_a_fixed_size_stretches_every_photo_to_it_and_refuses_another_size()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySd, TestProvider.NewFactory());
        Assert.Equal(new PixelSize(128, 128), bundle.ProcessingSize(new PixelSize(512, 288)));
        Assert.Equal(new PixelSize(128, 128), bundle.ProcessingSize(new PixelSize(512, 288), 128, "--size"));
        var refused = Assert.Throws<InvalidOptionException>(() =>
            bundle.ProcessingSize(new PixelSize(512, 288), 192, "--size")
        );
        Assert.Contains("--size", refused.Message);
        Assert.Contains("128×128 images only", refused.Message);
    }
}
