using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Bundles;

public class ModelsInspectCommandTests
{
    [Fact]
    public void Inspect_prints_components_types_provider_and_no_problems()
    {
        var output = new StringWriter();
        var code = ModelsCommand.Run(RepoPaths.TinySd, ExecutionProvider.Auto, output);
        var text = output.ToString();
        Assert.Equal(0, code);
        Assert.Contains("in  timestep                 Int64    [1]", text);
        Assert.Contains("out out_sample               Float    [2,4,16,16]", text);
        Assert.Contains("rewritten to return the posterior mean", text);
        Assert.Contains("49,408 tokens", text);
        Assert.Contains("captioner: BLIP, 3 beams, prompt \"a picture of \"", text);
        Assert.Contains("image: 128×128, latent 4×16×16, scaling factor 0.18215", text);
        // The test machines have no GPU, and the CPU package has no CUDA provider: the fallback is reported.
        Assert.Contains("provider: Cpu (CUDA unavailable:", text);
        Assert.Contains("Problems: none", text);
    }

    [Fact]
    public void Inspect_shows_symbolic_dimensions_of_dynamic_exports()
    {
        var output = new StringWriter();
        Assert.Equal(0, ModelsCommand.Run(RepoPaths.TinySdDynamic, ExecutionProvider.Cpu, output));
        Assert.Contains("Float    [1]", output.ToString());
        Assert.Contains("sample                   Float    [batch,4,height,width]", output.ToString());
    }

    [Fact]
    public void Inspect_lists_problems_and_fails_for_a_broken_folder()
    {
        var output = new StringWriter();
        var code = ModelsCommand.Run("/nonexistent/model", ExecutionProvider.Cpu, output);
        Assert.Equal(CommandLine.UserError, code);
        Assert.Contains("the model folder does not exist", output.ToString());
    }

    [Fact]
    public void Prepare_compiles_the_guidance_graphs_then_takes_them_from_the_cache()
    {
        var bundle = RepoPaths.CopyOfTinySd();
        try
        {
            var compiled = new StringWriter();
            ModelsCommand.Prepare(bundle, ExecutionProvider.Cpu, force: true, compiled);
            Assert.Contains(
                "guidance graphs: 16 cross-attention layers in the static UNet, compiled in",
                compiled.ToString()
            );
            Assert.Contains("5 × [16,256,77]", compiled.ToString());
            Assert.Contains("1 × [16,4,77]", compiled.ToString());
            Assert.Contains("unet/attention_probe.onnx, unet/guidance.onnx", compiled.ToString());

            var cached = new StringWriter();
            ModelsCommand.Prepare(bundle, ExecutionProvider.Cpu, force: false, cached);
            Assert.Contains("(compiled before, taken from the cache)", cached.ToString());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(bundle)!, recursive: true);
        }
    }

    [Fact]
    public void Asking_for_cuda_without_it_fails_with_what_it_needs()
    {
        var sessions = new OnnxSessionFactory(ExecutionProvider.Cuda);
        var e = Assert.Throws<Core.Pix2PixZeroException>(() =>
            sessions.Create(Path.Combine(RepoPaths.TinySd, "vae_decoder", "model.onnx"))
        );
        Assert.Contains("CUDA 13 and cuDNN 9", e.Message);
    }
}
