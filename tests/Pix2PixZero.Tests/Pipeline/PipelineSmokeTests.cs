using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Pipeline;

public class PipelineSmokeTests
{
    [Fact]
    public void A_short_real_image_edit_runs_end_to_end()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySd, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        var store = new DirectionStore(Directory.CreateTempSubdirectory("p2pz-dir-").FullName);
        var cat = pipeline.WordMean("cat", new SentenceSource.BuiltIn(8), store);
        var dog = pipeline.WordMean("dog", new SentenceSource.BuiltIn(8), store);
        using var image = ImageCodec.Load(RepoPaths.Image("cat_1.png"));
        var options = new MethodParameters { Steps = 4 };
        var caption = pipeline.Caption(image);
        Assert.False(string.IsNullOrWhiteSpace(caption));
        var inverted = pipeline.Invert(image, caption, options);
        var restored = InvertedImage.FromBytes(inverted.ToBytes());
        var results = pipeline.Edit(restored, [EditDirection.Between(cat, dog)], options);
        Assert.Single(results);
        Assert.Equal(128, results[0].Width);
    }
}
