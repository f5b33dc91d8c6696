using System.Text.Json.Nodes;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Bundles;

/// <summary>A damaged model folder is refused with an error that names the file and what is wrong with it.</summary>
public sealed class ModelBundleErrorTests : IDisposable
{
    private readonly string _bundle = RepoPaths.CopyOfTinySd();

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_bundle)!, recursive: true);

    private ModelBundleException OpenFails() =>
        Assert.Throws<ModelBundleException>(() =>
            ModelBundle.Open(_bundle, new OnnxSessionFactory(ExecutionProvider.Cpu))
        );

    private string PathOf(params string[] parts) => Path.Combine([_bundle, .. parts]);

    [Fact]
    public void A_sound_folder_has_no_problem_and_opens_with_what_its_files_say()
    {
        // Neither value is core's default, so both must come from the files.
        var vaeConfig = PathOf("vae_decoder", "config.json");
        var vae = JsonNode.Parse(File.ReadAllText(vaeConfig))!;
        vae["scaling_factor"] = 0.5f;
        File.WriteAllText(vaeConfig, vae.ToJsonString());
        var sampleSize = JsonNode.Parse(File.ReadAllText(PathOf("unet", "config.json")))![
            "sample_size"
        ]!.GetValue<int>();

        Assert.Empty(ModelBundleValidator.Validate(_bundle));
        using var bundle = ModelBundle.Open(_bundle, new OnnxSessionFactory(ExecutionProvider.Cpu));

        Assert.Equal(Path.GetFullPath(_bundle), bundle.Directory);
        Assert.NotEqual(ModelBundle.DefaultLatentSize, sampleSize);
        Assert.Equal((sampleSize, 0.5f), (bundle.LatentSize, bundle.ScalingFactor));
        Assert.True(bundle.HasCaptioner);
    }

    [Fact]
    public void A_missing_folder_is_named() =>
        Assert.Contains(
            "does not exist",
            Assert.Throws<ModelBundleException>(() => ModelBundle.Open(PathOf("nope"))).Message
        );

    [Fact]
    public void Missing_external_unet_weights_are_named()
    {
        File.Delete(PathOf("unet", "weights.pb"));
        var e = OpenFails();
        Assert.Contains(PathOf("unet", "weights.pb"), e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Truncated_external_weights_are_reported_as_an_incomplete_download()
    {
        var weights = PathOf("unet", "weights.pb");
        using (var stream = File.Open(weights, FileMode.Open))
            stream.SetLength(stream.Length / 2);
        Assert.Contains("incomplete", OpenFails().Message);
    }

    [Fact]
    public void Malformed_model_index_json_is_named()
    {
        File.WriteAllText(PathOf("model_index.json"), "{ \"_class_name\": ");
        var e = OpenFails();
        Assert.Contains("model_index.json", e.Message);
        Assert.Contains("malformed JSON", e.Message);
    }

    [Fact]
    public void A_missing_merges_file_is_named()
    {
        File.Delete(PathOf("tokenizer", "merges.txt"));
        Assert.Contains(PathOf("tokenizer", "merges.txt"), OpenFails().Message);
    }

    [Fact]
    public void A_graph_file_that_is_not_onnx_is_named()
    {
        File.WriteAllText(PathOf("vae_decoder", "model.onnx"), "<html>404 Not Found</html>");
        var e = OpenFails();
        Assert.Contains(PathOf("vae_decoder", "model.onnx"), e.Message);
        Assert.Contains("not an ONNX model", e.Message);
    }

    [Fact]
    public void An_empty_graph_file_is_named()
    {
        File.WriteAllBytes(PathOf("text_encoder", "model.onnx"), []);
        Assert.Contains("file is empty", OpenFails().Message);
    }

    [Fact]
    public void An_unsupported_scheduler_is_named()
    {
        File.WriteAllText(PathOf("scheduler", "scheduler_config.json"), """{"beta_schedule": "sigmoid"}""");
        var e = OpenFails();
        Assert.Contains("scheduler_config.json", e.Message);
        Assert.Contains("beta_schedule is \"sigmoid\"", e.Message);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        File.Delete(PathOf("unet", "weights.pb"));
        File.Delete(PathOf("model_index.json"));
        var problems = ModelBundleValidator.Validate(_bundle);
        Assert.Equal(2, problems.Count);
        Assert.Contains("2 problems", OpenFails().Message);
    }

    [Fact]
    public void A_broken_captioner_folder_is_listed_with_the_bundle_problems()
    {
        File.Delete(PathOf("captioner", "vocab.txt"));
        File.WriteAllBytes(PathOf("captioner", "config.json"), []);
        var problems = ModelBundleValidator.Validate(_bundle);
        Assert.Equal(
            [PathOf("captioner", "vocab.txt"), PathOf("captioner", "config.json")],
            problems.Select(p => p.Path)
        );
        Assert.Contains("is missing", problems[0].Message);
        Assert.Contains("is empty", problems[1].Message);
    }

    [Fact]
    public void A_captioner_vocabulary_that_disagrees_with_its_config_is_a_bundle_problem()
    {
        var vocab = PathOf("captioner", "vocab.txt");
        File.WriteAllLines(vocab, File.ReadAllLines(vocab).Take(30522));
        var problem = Assert.Single(ModelBundleValidator.Validate(_bundle));
        Assert.Equal(vocab, problem.Path);
        Assert.Contains("vocab_size 30524", problem.Message);
    }

    [Fact]
    public void A_unet_without_the_expected_inputs_is_refused_when_loaded()
    {
        // A text encoder graph in the UNet's place: valid ONNX, wrong interface.
        File.Copy(PathOf("text_encoder", "model.onnx"), PathOf("unet", "model.onnx"), overwrite: true);
        using var bundle = ModelBundle.Open(_bundle, new OnnxSessionFactory(ExecutionProvider.Cpu));
        var e = Assert.Throws<ModelBundleException>(() => bundle.Unet);
        Assert.Contains("no input 'sample'", e.Message);
        Assert.Contains("input_ids", e.Message);
    }
}
