using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Bundles;

/// <summary>
/// A bundle reached through symbolic links — every file a link into a blob store, as the Hugging Face cache lays out
/// <c>snapshots/{commit}/</c>, or a whole component folder linked from elsewhere — validates by its targets' sizes,
/// loads and runs; a link that leads nowhere, or weights linked from outside the graph's folder (which ONNX Runtime
/// refuses to read), are refused with a message naming the link, where it points and what to do.
/// </summary>
public sealed class SymbolicLinkBundleTests : IDisposable
{
    private const double Tolerance = 1e-4;

    private readonly string _bundle = RepoPaths.CopyOfTinySd();

    private string Scratch => Path.GetDirectoryName(_bundle)!;

    private string Weights => Path.Combine(_bundle, "unet", "weights.pb");

    public void Dispose() => Directory.Delete(Scratch, recursive: true);

    /// <summary>
    /// Moves every file of the bundle into <c>blobs/</c> beside it, leaving a relative link in its place.
    /// </summary>
    private void LayOutLikeTheHuggingFaceCache()
    {
        var blobs = Directory.CreateDirectory(Path.Combine(Scratch, "blobs")).FullName;
        foreach (
            var (file, i) in Directory.GetFiles(_bundle, "*", SearchOption.AllDirectories).Select((f, i) => (f, i))
        )
        {
            var blob = Path.Combine(blobs, $"blob-{i}");
            File.Move(file, blob);
            File.CreateSymbolicLink(file, Path.GetRelativePath(Path.GetDirectoryName(file)!, blob));
        }
    }

    private static void AssertUnetMatchesTorch(ModelBundle bundle)
    {
        var t = Npy.Golden("unet_timestep.npy").Longs()[0];
        var result = bundle.Unet.PredictNoise(
            Npy.Golden("unet_sample.npy").Tensor(),
            t,
            Npy.Golden("unet_ehs.npy").Tensor()
        );
        TensorAssert.Close(result.Buffer.Span, Npy.Golden("unet_out.npy").Floats(), Tolerance, "out_sample");
    }

    [Fact]
    public void A_bundle_of_links_into_a_blob_store_validates_loads_and_runs()
    {
        LayOutLikeTheHuggingFaceCache();
        Assert.NotNull(new FileInfo(Weights).LinkTarget);

        Assert.Empty(ModelBundleValidator.Validate(_bundle));
        using var bundle = ModelBundle.Open(_bundle, new OnnxSessionFactory(ExecutionProvider.Cpu));
        AssertUnetMatchesTorch(bundle);
    }

    [Fact]
    public void A_component_folder_linked_from_elsewhere_validates_prepares_and_runs()
    {
        var elsewhere = Path.Combine(Scratch, "unet-elsewhere");
        Directory.Move(Path.Combine(_bundle, "unet"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(_bundle, "unet"), elsewhere);

        Assert.Empty(ModelBundleValidator.Validate(_bundle));
        var prepared = new StringWriter();
        ModelsCommand.Prepare(_bundle, ExecutionProvider.Cpu, force: true, prepared);
        Assert.Contains("unet/attention_probe.onnx, unet/guidance.onnx", prepared.ToString());
        using var bundle = ModelBundle.Open(_bundle, new OnnxSessionFactory(ExecutionProvider.Cpu));
        AssertUnetMatchesTorch(bundle);
    }

    [Fact]
    public void Weights_linked_from_outside_the_graphs_folder_are_refused_as_onnx_runtime_refuses_them()
    {
        var elsewhere = Path.Combine(
            Directory.CreateDirectory(Path.Combine(Scratch, "elsewhere")).FullName,
            "weights.pb"
        );
        File.Move(Weights, elsewhere);
        File.CreateSymbolicLink(Weights, elsewhere);

        var problem = Assert.Single(ModelBundleValidator.Validate(_bundle));
        Assert.Equal(Weights, problem.Path);
        Assert.Contains($"lies at {elsewhere}, outside the folder of model.onnx", problem.Message);
        Assert.Contains("link the whole component folder", problem.Message);
        // What the check anticipates: the session's own refusal (onnxruntime#27374's containment rule).
        var e = Assert.Throws<Core.Pix2PixZeroException>(() =>
            new OnnxSessionFactory(ExecutionProvider.Cpu).Create(Path.Combine(_bundle, "unet", "model.onnx"))
        );
        Assert.Contains("escapes model directory", e.Message);
    }

    [Fact]
    public void Linked_weights_are_judged_by_their_target_size()
    {
        LayOutLikeTheHuggingFaceCache();
        var target = new FileInfo(Weights).ResolveLinkTarget(returnFinalTarget: true)!.FullName;
        using (var stream = File.Open(target, FileMode.Open))
            stream.SetLength(stream.Length / 2);

        var problem = Assert.Single(ModelBundleValidator.Validate(_bundle));
        Assert.Equal(Weights, problem.Path);
        Assert.Contains($"is {new FileInfo(target).Length:N0} bytes", problem.Message);
        Assert.Contains("the download is incomplete", problem.Message);
    }

    [Fact]
    public void A_dangling_weights_link_is_refused_naming_the_link_and_its_target()
    {
        LayOutLikeTheHuggingFaceCache();
        var target = new FileInfo(Weights).LinkTarget!;
        File.Delete(new FileInfo(Weights).ResolveLinkTarget(returnFinalTarget: true)!.FullName);

        var e = Assert.Throws<ModelBundleException>(() =>
            ModelBundle.Open(_bundle, new OnnxSessionFactory(ExecutionProvider.Cpu))
        );
        Assert.Equal(Weights, e.Path);
        Assert.Contains("is a symbolic link to", e.Message);
        Assert.Contains(target, e.Message);
        Assert.Contains("leads to no file", e.Message);
    }

    [Fact]
    public void A_dangling_link_in_place_of_a_required_file_is_named()
    {
        var vocab = Path.Combine(_bundle, "tokenizer", "vocab.json");
        File.Delete(vocab);
        File.CreateSymbolicLink(vocab, "../../blobs/gone");

        var problem = Assert.Single(ModelBundleValidator.Validate(_bundle));
        Assert.Equal(vocab, problem.Path);
        Assert.Contains(
            "required file is a symbolic link to '../../blobs/gone', which leads to no file",
            problem.Message
        );
    }
}
