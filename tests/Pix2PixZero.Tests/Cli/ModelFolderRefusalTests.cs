using Google.Protobuf;
using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// Model folders the method cannot run are refused before any work, as a user meets it: <c>models inspect</c> lists
/// the problem, and <c>models prepare</c> and <c>edit</c> stop with one error line and status 2 before captioning,
/// averaging directions or compiling anything: an ORT-optimized UNet with fused kernels, and a scheduler config whose
/// maths the method does not implement.
/// </summary>
public sealed class ModelFolderRefusalTests : IDisposable
{
    private readonly string _bundle = RepoPaths.CopyOfTinySd();

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_bundle)!, recursive: true);

    private string Scratch => Path.GetDirectoryName(_bundle)!;

    private string[] Edit =>
        [
            "edit",
            RepoPaths.Image("cat_1.png"),
            "--task",
            "cat2dog",
            "--model",
            _bundle,
            "--caption",
            "a cat",
            "--steps",
            "2",
            "--sentences",
            "2",
            "--directions",
            Path.Combine(Scratch, "directions"),
            "-o",
            Path.Combine(Scratch, "out"),
        ];

    private static void AssertRefusedBeforeAnyWork((int Status, string Output, string Error) run, string problem)
    {
        Assert.True(run.Status == CommandLine.UserError, $"status {run.Status}: {run.Error}");
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(problem, line);
        Assert.DoesNotContain("caption", run.Output);
    }

    /// <summary>
    /// A small UNet-shaped graph whose cross-attention is one <c>com.microsoft</c> MultiHeadAttention kernel, as ONNX
    /// Runtime's transformer optimizer leaves it.
    /// </summary>
    private void WriteFusedUnet()
    {
        static ValueInfoProto Float(string name, params long[] dims)
        {
            var shape = new TensorShapeProto();
            shape.Dim.AddRange(dims.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
            return new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto
                {
                    TensorType = new TypeProto.Types.Tensor
                    {
                        ElemType = (int)TensorProto.Types.DataType.Float,
                        Shape = shape,
                    },
                },
            };
        }
        var attention = new NodeProto
        {
            OpType = "MultiHeadAttention",
            Domain = "com.microsoft",
            Name = "attn2",
        };
        attention.Input.AddRange(["encoder_hidden_states", "encoder_hidden_states", "encoder_hidden_states"]);
        attention.Output.Add("attention");
        attention.Attribute.Add(
            new AttributeProto
            {
                Name = "num_heads",
                Type = AttributeProto.Types.AttributeType.Int,
                I = 4,
            }
        );
        var identity = new NodeProto { OpType = "Identity", Name = "out" };
        identity.Input.Add("sample");
        identity.Output.Add("out_sample");
        var graph = new GraphProto { Name = "unet" };
        graph.Node.AddRange([attention, identity]);
        graph.Input.AddRange([
            Float("sample", 2, 4, 16, 16),
            Float("timestep", 1),
            Float("encoder_hidden_states", 2, 77, 32),
        ]);
        graph.Output.AddRange([Float("out_sample", 2, 4, 16, 16), Float("attention", 2, 77, 32)]);
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.AddRange([
            new OperatorSetIdProto { Domain = "", Version = 14 },
            new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 },
        ]);
        File.WriteAllBytes(
            BundleLayout.LocalPath(_bundle, BundleLayout.Graph(BundleComponent.Unet)),
            model.ToByteArray()
        );
    }

    private const string FusedProblem =
        "the UNet is an optimized export with fused kernels (com.microsoft.MultiHeadAttention ×1)";

    [Fact]
    public async Task A_unet_with_fused_attention_kernels_is_listed_by_inspect_as_a_problem()
    {
        WriteFusedUnet();
        var (status, output, _) = await CliProcess.RunAsync("models", "inspect", _bundle, "--provider", "Cpu");
        Assert.Equal(CommandLine.UserError, status);
        Assert.Contains("Problems (1):", output);
        Assert.Contains(FusedProblem, output);
        Assert.Contains("A plain (unfused) export is needed", output);
    }

    [Fact]
    public async Task Prepare_and_edit_refuse_a_unet_with_fused_attention_kernels_naming_the_op()
    {
        WriteFusedUnet();
        AssertRefusedBeforeAnyWork(
            await CliProcess.RunAsync("models", "prepare", _bundle, "--provider", "Cpu"),
            FusedProblem
        );
        AssertRefusedBeforeAnyWork(await CliProcess.RunAsync(Edit), "A plain (unfused) export is needed");
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Scratch, "directions")));
    }

    [Fact]
    public async Task Edit_refuses_a_v_prediction_scheduler_before_any_work()
    {
        var config = BundleLayout.LocalPath(_bundle, BundleLayout.SchedulerConfig);
        File.WriteAllText(
            config,
            File.ReadAllText(config)
                .Replace("\"_class_name\"", "\"prediction_type\": \"v_prediction\", \"_class_name\"")
        );
        var run = await CliProcess.RunAsync(Edit);
        AssertRefusedBeforeAnyWork(run, $"{config}: prediction_type is \"v_prediction\"");
        Assert.Contains("supported: \"epsilon\"", run.Error);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Scratch, "directions")));
        Assert.Empty(Directory.GetFiles(Path.Combine(Scratch, "out")));
    }
}
