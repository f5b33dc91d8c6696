using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Editing;

/// <summary>
/// The lockstep loop moves the cross-attention maps from the probe to the guidance graph in buffers bound once per
/// edit: a step allocates managed memory only for its latent-sized records, far less than the maps it moves.
/// </summary>
public sealed class EditAllocationTests(ITestOutputHelper output)
{
    // 256×256 pixels on tiny-sd-dynamic: one step's maps are several megabytes, its latent 16 KiB.
    private const int LatentSide = 32;
    private const int Steps = 4;

    [Fact]
    public void An_edit_step_allocates_a_small_fraction_of_the_maps_it_moves_in_managed_memory()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        using var graphs = pipeline.Sessions.Graphs(LatentSide, LatentSide);
        var random = new Random(7);
        var zT = new DenseTensor<float>(Values(random, 4 * LatentSide * LatentSide), [1, 4, LatentSide, LatentSide]);
        var tokens = bundle.TextEncoder.SequenceLength;
        var width = graphs.AttentionProbe.Inputs["encoder_hidden_states"].Dimensions[2];
        float[] Row() => Values(random, tokens * width);
        var text = new EditConditioning(Row(), Row(), [Row()], [tokens, width]);
        var (_, maps) = graphs.AttentionProbe.Run(
            Twice(zT),
            999,
            new DenseTensor<float>(text.Negative.Concat(text.Reference).ToArray(), new[] { 2, tokens, width })
        );
        var mapBytes = maps.Sum(m => m.Length * sizeof(float));

        var allocated = new List<long>();
        pipeline
            .CreateEditor(graphs)
            .Edit(zT, text, Steps, 5f, 0.1f, _ => allocated.Add(GC.GetAllocatedBytesForCurrentThread()));

        // The first step pays for the edit's buffers and bindings; the later ones are the loop's steady state.
        var perStep = Enumerable.Range(1, allocated.Count - 1).Max(i => allocated[i] - allocated[i - 1]);
        output.WriteLine(
            $"one step's maps: {mapBytes / 1024.0:F0} KiB; managed allocation per step: {perStep / 1024.0:F1} KiB "
                + $"({(double)perStep / mapBytes:P2} of the maps)"
        );
        Assert.True(
            perStep < mapBytes / 20,
            $"a step allocated {perStep:N0} bytes of managed memory, over 5% of its maps' {mapBytes:N0}"
        );
    }

    private static float[] Values(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    private static DenseTensor<float> Twice(DenseTensor<float> latent)
    {
        var pair = new DenseTensor<float>(
            new[] { 2, latent.Dimensions[1], latent.Dimensions[2], latent.Dimensions[3] }
        );
        latent.Buffer.Span.CopyTo(pair.Buffer.Span);
        latent.Buffer.Span.CopyTo(pair.Buffer.Span[(int)latent.Length..]);
        return pair;
    }
}
