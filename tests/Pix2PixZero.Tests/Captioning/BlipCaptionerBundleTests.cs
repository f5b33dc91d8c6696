using Pix2PixZero.Core;
using Pix2PixZero.Core.Captioning;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Captioning;

/// <summary>Broken captioner folders and invalid options fail early with errors that name the file or option.</summary>
public sealed class BlipCaptionerBundleTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "blip-bundle-" + Guid.NewGuid().ToString("N"));

    public BlipCaptionerBundleTests()
    {
        Directory.CreateDirectory(_folder);
        foreach (var file in Directory.GetFiles(BlipGoldens.Captioner("tiny-sd")))
            File.Copy(file, Path.Combine(_folder, Path.GetFileName(file)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ModelBundleException LoadFails(string folder, BlipCaptionerOptions? options = null) =>
        Assert.Throws<ModelBundleException>(() =>
            BlipCaptioner.Load(folder, new OnnxSessionFactory(ExecutionProvider.Cpu), options)
        );

    [Fact]
    public void A_missing_folder_is_named()
    {
        var e = LoadFails(Path.Combine(_folder, "nope"));
        Assert.Contains("does not exist", e.Message);
    }

    [Theory]
    [InlineData(BlipCaptioner.VisionEncoderFile)]
    [InlineData(BlipCaptioner.TextDecoderFile)]
    [InlineData(BlipCaptioner.VocabFile)]
    [InlineData(BlipCaptioner.ConfigFile)]
    public void Each_missing_file_is_named(string file)
    {
        File.Delete(Path.Combine(_folder, file));
        var e = LoadFails(_folder);
        Assert.Equal(Path.Combine(_folder, file), e.Path);
        Assert.Contains("is missing", e.Message);
    }

    [Fact]
    public void A_vocabulary_of_the_wrong_size_is_rejected()
    {
        var vocab = Path.Combine(_folder, BlipCaptioner.VocabFile);
        File.WriteAllLines(vocab, File.ReadAllLines(vocab).Take(30522)); // BERT's file without [DEC]/[ENC]
        var e = LoadFails(_folder);
        Assert.Equal(vocab, e.Path);
        Assert.Contains("30522 tokens", e.Message);
        Assert.Contains("vocab_size 30524", e.Message);
    }

    [Fact]
    public void A_config_without_token_ids_is_rejected()
    {
        var config = Path.Combine(_folder, BlipCaptioner.ConfigFile);
        File.WriteAllText(config, "{\"image_size\": 384}");
        var e = LoadFails(_folder);
        Assert.Equal(config, e.Path);
        Assert.Contains("image_mean", e.Message);
    }

    [Fact]
    public void A_non_blip_graph_is_rejected_with_its_file_name()
    {
        // The SD text encoder in place of the vision encoder: a valid ONNX graph with the wrong signature.
        var vision = Path.Combine(_folder, BlipCaptioner.VisionEncoderFile);
        File.Copy(Path.Combine(RepoPaths.TinySd, "text_encoder", "model.onnx"), vision, overwrite: true);
        var e = LoadFails(_folder);
        Assert.Equal(vision, e.Path);
        Assert.Contains("no input 'pixel_values'", e.Message);
        Assert.Contains("BLIP vision encoder", e.Message);
    }

    [Fact]
    public void Swapped_graphs_are_rejected()
    {
        var vision = Path.Combine(_folder, BlipCaptioner.VisionEncoderFile);
        var decoder = Path.Combine(_folder, BlipCaptioner.TextDecoderFile);
        File.Copy(vision, decoder, overwrite: true);
        var e = LoadFails(_folder);
        Assert.Equal(decoder, e.Path);
        Assert.Contains("input_ids", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_rejected_with_its_name()
    {
        var decoder = Path.Combine(_folder, BlipCaptioner.TextDecoderFile);
        File.WriteAllText(decoder, "not a model");
        var e = LoadFails(_folder);
        Assert.Equal(decoder, e.Path);
        Assert.Contains("not a loadable ONNX graph", e.Message);
    }

    [Theory]
    [InlineData(1, 10, 30)]
    [InlineData(3, 31, 30)]
    [InlineData(3, 10, 513)]
    public void Invalid_options_name_the_option(int beams, int minLength, int maxLength)
    {
        var options = new BlipCaptionerOptions
        {
            NumBeams = beams,
            MinLength = minLength,
            MaxLength = maxLength,
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate());
        Assert.Contains(e.ParamName!, e.Message);
    }

    [Fact]
    public void A_max_length_that_leaves_no_room_after_the_prompt_is_rejected()
    {
        var options = new BlipCaptionerOptions { MinLength = 0, MaxLength = 4 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            BlipCaptioner.Load(_folder, new OnnxSessionFactory(ExecutionProvider.Cpu), options)
        );
        Assert.Contains("4 tokens", e.Message);
    }

    [Fact]
    public void Defaults_are_the_design_values()
    {
        var d = BlipCaptionerOptions.Default;
        Assert.Equal(
            ("a picture of ", 3, 10, 30, 1.0),
            (d.Prompt, d.NumBeams, d.MinLength, d.MaxLength, d.LengthPenalty)
        );
    }

    [Fact]
    public void Captioning_honours_cancellation()
    {
        using var captioner = BlipCaptioner.Load(_folder, new OnnxSessionFactory(ExecutionProvider.Cpu));
        using var image = BlipGoldens.Resized("cat");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => captioner.Caption(image, cancel.Token));
    }
}
