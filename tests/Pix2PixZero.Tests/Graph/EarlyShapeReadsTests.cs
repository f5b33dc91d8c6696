using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Tests.Support;
using static Pix2PixZero.Core.Graph.GraphEmitter;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// <see cref="EarlyShapeReads"/>: the forward_shapes sink only orders execution: outputs are unchanged, and it reads
/// exactly the shapes of forward tensors that the backward needs.
/// </summary>
public class EarlyShapeReadsTests
{
    [Fact]
    public void Sink_reads_only_the_shapes_of_forward_tensors_that_the_outputs_need()
    {
        var m = new GraphTestModel(14, TensorValues.Float, dynamic: true);
        var x = m.Input("x", 2, 3);
        var h = m.Node("Mul", [x, x], "h");
        var y = m.Node("Sigmoid", [h], "y");
        var graph0 = m.Build();
        var forwardNames = graph0.Graph.Node.Select(n => n.Name).ToHashSet();
        // Backward-like nodes: read the shape of forward h and the size of forward y (both needed by the outputs),
        // the shape of forward y (needed by nothing), of the input x and of a backward tensor (not forward tensors).
        var ones = m.Node("Expand", [m.Weight("one", [1.0], []), m.Node("Shape", [h], "shape_h")], "ones");
        var outA = m.Node("Mul", [y, ones], "out_a");
        m.Node("Shape", [y], "shape_y_unused");
        var sizes = m.Node(
            "Concat",
            [m.Node("Shape", [x], "shape_x"), m.Node("Shape", [outA], "shape_out_a")],
            "sizes",
            Int("axis", 0)
        );
        var sizeY = m.Node("Cast", [m.Node("Size", [y], "size_y")], "size_y_f", Int("to", TensorValues.Float));
        var total = m.Node(
            "Cast",
            [m.Node("ReduceSum", [sizes], "sizes_sum", Int("keepdims", 0))],
            "total",
            Int("to", TensorValues.Float)
        );
        m.Node("Mul", [m.Node("Mul", [y, sizeY], "y_sized"), total], "out_b");
        m.Output("out_a");
        m.Output("out_b");
        var plain = m.Build();
        var anchored = m.Build();
        var forward = new HashSet<NodeProto>(
            anchored.Graph.Node.Where(n => forwardNames.Contains(n.Name)),
            ReferenceEqualityComparer.Instance
        );

        var count = EarlyShapeReads.Apply(anchored, forward);

        Assert.Equal(2, count);
        var producers = anchored.Producers();
        var sink = producers[EarlyShapeReads.Output];
        // A Size's scalar enters the Concat as a one-element vector.
        var reads = sink.Input.Select(i => producers[i] is { OpType: "Reshape" } r ? r.Input[0] : i).ToList();
        Assert.Equal(["shape_h", "size_y"], reads);
        Assert.Equal(EarlyShapeReads.Output, anchored.Graph.Output.Last().Name);

        var outputs = new[] { "out_a", "out_b" };
        var expected = GraphRunner.Run(plain, m, outputs);
        var actual = GraphRunner.Run(anchored, m, [.. outputs, EarlyShapeReads.Output]);
        Assert.Equal(expected[0], actual[0]);
        Assert.Equal(expected[1], actual[1]);
        Assert.Equal([2.0, 3.0, 6.0], actual[2]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Differentiated_graph_gives_the_same_loss_and_gradient_with_the_sink(bool symbolicShapes)
    {
        var model = new GraphTestModel(14, TensorValues.Float, symbolicShapes);
        var (graph, loss, wrt, shapes) = GraphTestBlocks.SelfAttentionWithSquaredLoss(model);
        var types = new TensorTypes(graph);
        ChunkedAttention.Apply(graph, shapes);
        var forward = new HashSet<NodeProto>(graph.Graph.Node, ReferenceEqualityComparer.Instance);
        var grad = ReverseModeDifferentiator.Differentiate(graph, loss, wrt, shapes, types);
        graph.Graph.Output.Clear();
        foreach (var o in new[] { loss, grad })
            graph.Graph.Output.Add(
                new ValueInfoProto
                {
                    Name = o,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TensorValues.Float } },
                }
            );
        var plain = graph.Clone();
        var anchored = graph.Clone();
        var anchoredForward = new HashSet<NodeProto>(
            anchored.Graph.Node.Where((_, i) => forward.Contains(graph.Graph.Node[i])),
            ReferenceEqualityComparer.Instance
        );

        var count = EarlyShapeReads.Apply(anchored, anchoredForward);
        plain.Prune();
        anchored.Prune();

        if (!symbolicShapes)
        {
            // Static graphs read no shapes at run time: nothing to anchor, no extra output.
            Assert.Equal(0, count);
            Assert.Equal(2, anchored.Graph.Output.Count);
            return;
        }
        Assert.True(count > 0, "the symbolic backward reads forward shapes at run time");
        var producers = anchored.Producers();
        var reads = producers[EarlyShapeReads.Output]
            .Input.Select(i => producers[i] is { OpType: "Reshape" } r ? producers[r.Input[0]] : producers[i])
            .ToList();
        Assert.Equal(count, reads.Count);
        Assert.All(reads, r =>
            Assert.True(
                r.OpType is "Shape" or "Size" && anchoredForward.Contains(producers[r.Input[0]]),
                $"{r.OpType} '{r.Name}' is not a read of a forward tensor"
            )
        );
        var expected = GraphRunner.Run(plain, model, [loss, grad]);
        var actual = GraphRunner.Run(anchored, model, [loss, grad]);
        Assert.Equal(expected[0], actual[0]);
        Assert.Equal(expected[1], actual[1]);
    }
}
