using Pix2PixZero.Core.Bundles;

namespace Pix2PixZero.Tests.Bundles;

/// <summary>Which files of a hub repository make a bundle (what <c>models pull</c> downloads).</summary>
public class BundleLayoutTests
{
    // The file list of CompVis/stable-diffusion-v1-4 at revision onnx, as diffusers' converter wrote it.
    private static readonly string[] Sd14Onnx =
    [
        ".gitattributes",
        "README.md",
        "model_index.json",
        "feature_extractor/preprocessor_config.json",
        "safety_checker/model.onnx",
        "scheduler/scheduler_config.json",
        "text_encoder/model.onnx",
        "tokenizer/merges.txt",
        "tokenizer/special_tokens_map.json",
        "tokenizer/tokenizer_config.json",
        "tokenizer/vocab.json",
        "unet/model.onnx",
        "unet/weights.pb",
        "vae_decoder/model.onnx",
        "vae_encoder/model.onnx",
    ];

    [Fact]
    public void A_diffusers_onnx_repository_gives_the_bundle_without_safety_checker_or_feature_extractor()
    {
        var selection = BundleLayout.Select(Sd14Onnx);
        Assert.Empty(selection.Missing);
        Assert.Equal(
            [
                "model_index.json",
                "scheduler/scheduler_config.json",
                "tokenizer/vocab.json",
                "tokenizer/merges.txt",
                "text_encoder/model.onnx",
                "unet/model.onnx",
                "vae_encoder/model.onnx",
                "vae_decoder/model.onnx",
                "tokenizer/special_tokens_map.json",
                "tokenizer/tokenizer_config.json",
                "unet/weights.pb",
            ],
            selection.Files
        );
    }

    [Fact]
    public void Torch_style_external_weights_and_component_configs_and_a_captioner_are_taken_but_fp16_variants_are_not()
    {
        var files = Sd14Onnx
            .Where(f => f != "unet/weights.pb")
            .Concat([
                "unet/model.onnx_data",
                "unet/config.json",
                "unet/model_fp16.onnx",
                "unet/model_fp16.onnx_data",
                "vae_decoder/config.json",
                "captioner/vision_encoder.onnx",
                "captioner/text_decoder.onnx",
                "captioner/vocab.txt",
                "captioner/config.json",
            ]);
        var selection = BundleLayout.Select(files);
        Assert.Contains("unet/model.onnx_data", selection.Files);
        Assert.Contains("unet/config.json", selection.Files);
        Assert.Contains("vae_decoder/config.json", selection.Files);
        Assert.Contains("captioner/text_decoder.onnx", selection.Files);
        Assert.DoesNotContain(selection.Files, f =>
            f.Contains("fp16") || f.StartsWith("safety_checker") || f.StartsWith("feature_extractor")
        );
    }

    [Fact]
    public void Missing_required_files_are_named()
    {
        var selection = BundleLayout.Select(
            Sd14Onnx.Where(f => !f.StartsWith("vae_encoder") && f != "tokenizer/merges.txt")
        );
        Assert.Equal(["tokenizer/merges.txt", "vae_encoder/model.onnx"], selection.Missing);
    }

    [Fact]
    public void Repository_paths_map_to_local_paths()
    {
        Assert.Equal(Path.Combine("root", "unet", "weights.pb"), BundleLayout.LocalPath("root", "unet/weights.pb"));
    }
}
