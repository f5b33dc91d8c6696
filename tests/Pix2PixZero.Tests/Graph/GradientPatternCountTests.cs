using System.Text.Json;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// The fused patterns the reverse pass applies to the tiny UNet (∂ Σ out_sample² / ∂ sample) against the blocks the
/// architecture has (tests/fixtures/tinysd/unet.py with the fixture's config.json), counted a second way from the
/// forward graph's ops on the sample's path.
/// </summary>
public class GradientPatternCountTests(ITestOutputHelper output)
{
    private const int Heads = 8;

    /// <summary>One Transformer2DModel: its latent tokens N and its channels.</summary>
    private sealed record Transformer(long Tokens, long Channels);

    /// <summary>The blocks of UNet2DConditionModel for a config and a latent size, as unet.py builds them.</summary>
    private sealed record Architecture(int Resnets, IReadOnlyList<Transformer> Transformers)
    {
        public static Architecture Of(JsonElement config, long height, long width)
        {
            var channels = config
                .GetProperty("block_out_channels")
                .EnumerateArray()
                .Select(c => c.GetInt64())
                .ToArray();
            var layers = config.GetProperty("layers_per_block").GetInt32();
            var down = config
                .GetProperty("down_block_types")
                .EnumerateArray()
                .Select(t => t.GetString()!.StartsWith("CrossAttn"))
                .ToArray();
            var up = config
                .GetProperty("up_block_types")
                .EnumerateArray()
                .Select(t => t.GetString()!.StartsWith("CrossAttn"))
                .ToArray();
            var transformers = new List<Transformer>();
            long Tokens(int halvings) => (height >> halvings) * (width >> halvings);
            var n = channels.Length;
            for (var i = 0; i < n; i++)
                if (down[i])
                    transformers.AddRange(Enumerable.Repeat(new Transformer(Tokens(i), channels[i]), layers));
            // The mid block runs after the n − 1 downsamplers; up block i after i upsamplers.
            transformers.Add(new Transformer(Tokens(n - 1), channels[^1]));
            for (var i = 0; i < n; i++)
                if (up[i])
                    transformers.AddRange(
                        Enumerable.Repeat(new Transformer(Tokens(n - 1 - i), channels[n - 1 - i]), layers + 1)
                    );
            return new Architecture(n * layers + 2 + n * (layers + 1), transformers);
        }
    }

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sd-dynamic")]
    public void Patterns_applied_to_the_tiny_unet_are_one_per_block_of_its_architecture(string bundle)
    {
        var modelPath = GraphFixtures.CopyUnet(bundle);
        try
        {
            var unet = OnnxGraph.Load(modelPath);
            var signature = UnetSignature.Read(unet);
            var inputShapes = signature.ConcreteShapes(new UnetProbeSize(Batch: 2, LatentHeight: 16, LatentWidth: 32));
            var (height, width) = (inputShapes[UnetSignature.SampleName][2], inputShapes[UnetSignature.SampleName][3]);
            var contextTokens = inputShapes[UnetSignature.EncoderHiddenStatesName][1];
            var config = JsonDocument
                .Parse(File.ReadAllText(Path.Combine(GraphFixtures.Root, bundle, "unet", "config.json")))
                .RootElement;
            var architecture = Architecture.Of(config, height, width);

            // Each transformer has two attention blocks with N×M maps from N×d queries and M×d keys: self-attention
            // (M = N) and cross-attention (M = the context's tokens). Either is recomputed where its map outweighs Q
            // and Kᵀ together, as AttentionBlock defines it (cross-attention too: only where the loss also reads its
            // map, as in the guidance graph, is it left alone); otherwise its softmax is fused alone, and its scores
            // are scaled at the operands where the map outweighs Q (M > d).
            var blocks = architecture
                .Transformers.SelectMany(t =>
                    new[] { (N: t.Tokens, M: t.Tokens), (N: t.Tokens, M: contextTokens) }.Select(b =>
                        (b.N, b.M, D: t.Channels / Heads)
                    )
                )
                .ToList();
            var recomputed = blocks.Count(b => b.N * b.M > b.N * b.D + b.D * b.M);
            var scaled = blocks.Count(b => b.N * b.M <= b.N * b.D + b.D * b.M && b.M > b.D);
            var transformers = architecture.Transformers.Count;
            var expected = new Dictionary<string, int>
            {
                // norm1 and norm2 of each resnet, and conv_norm_out; not the timestep's
                ["SiLU"] = 2 * architecture.Resnets + 1,
                ["GELU"] = transformers,
                ["LayerNorm"] = 3 * transformers,
                ["self-attention (recomputed)"] = recomputed,
                ["attention softmax"] = blocks.Count - recomputed,
                ["scaled scores"] = scaled,
            };

            // The same blocks counted in the forward graph: ops whose values depend on the sample.
            var types = new TensorTypes(unet);
            var onSamplePath = unet.ValueDependentsOf(UnetSignature.SampleName, types);
            int Ops(string op, Func<NodeProto, bool>? also = null) =>
                unet.Graph.Node.Count(n =>
                    n.OpType == op && onSamplePath.Contains(n.Output[0]) && (also?.Invoke(n) ?? true)
                );
            // Self-attention's V is computed from the sample; cross-attention's from encoder_hidden_states alone.
            var consumers = unet.Consumers();
            bool ValuesFromSample(NodeProto softmax) =>
                onSamplePath.Contains(consumers[softmax.Output[0]].Single(r => r.OpType == "MatMul").Input[1]);
            Assert.Equal(expected["SiLU"], Ops("Sigmoid"));
            Assert.Equal(expected["GELU"], Ops("Erf"));
            Assert.Equal(expected["LayerNorm"], Ops("Sqrt"));
            Assert.Equal(transformers, Ops("Softmax", ValuesFromSample));
            Assert.Equal(transformers, Ops("Softmax", n => !ValuesFromSample(n)));
            var groupNorms = 2 * architecture.Resnets + transformers + 1;
            Assert.Equal(groupNorms, Ops("InstanceNormalization"));

            var e = new GraphEmitter(unet, "loss");
            var outSample = unet.Graph.Output[0].Name;
            var loss = e.ReduceSum(e.Mul(outSample, outSample), [0, 1, 2, 3], keepDims: false);
            var inputs = signature.CreateInputs(inputShapes);
            TensorShapes shapes;
            try
            {
                shapes = TensorShapes.Measure(unet, modelPath, inputs, signature.IsDynamic);
            }
            finally
            {
                foreach (var v in inputs.Values)
                    v.Dispose();
            }
            var forward = unet.Graph.Node.ToList();
            var applied = new List<FusedPattern>();

            ReverseModeDifferentiator.Differentiate(
                unet,
                loss,
                UnetSignature.SampleName,
                shapes,
                types,
                new DifferentiationOptions { PatternApplied = applied.Add }
            );

            var counts = applied.GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.Count());
            output.WriteLine(
                $"{bundle}: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}"
            );
            Assert.Equal(expected.OrderBy(c => c.Key), counts.OrderBy(c => c.Key));
            Assert.Equal(groupNorms, forward.Count(n => n.OpType == "LayerNormalization"));
            Assert.DoesNotContain(forward, n => n.OpType == "InstanceNormalization");
            Assert.All(applied.OfType<SelfAttentionPattern>(), p =>
                Assert.Equal(SelfAttentionPattern.MaxChunks, p.Chunks)
            );
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(modelPath)!, recursive: true);
        }
    }
}
