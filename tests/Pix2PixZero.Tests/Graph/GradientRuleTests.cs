using Google.Protobuf;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Tests.Support;
using static Pix2PixZero.Core.Graph.GraphEmitter;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// Every differentiation rule against central finite differences on small random graphs run by ONNX Runtime:
/// float64 where ONNX Runtime has float64 kernels, float32 otherwise; each with static and symbolic input shapes.
/// </summary>
public class GradientRuleTests
{
    private const int F64 = TensorValues.Double;
    private const int F32 = TensorValues.Float;

    private static AttributeProto Str(string name, string value) =>
        new()
        {
            Name = name,
            Type = AttributeProto.Types.AttributeType.String,
            S = ByteString.CopyFromUtf8(value),
        };

    private delegate (string Output, string Wrt) Case(GraphTestModel m);

    private static readonly Dictionary<string, (long Opset, Case Build)> Cases = new()
    {
        ["AddSubWithKeepdimsBroadcastAndNegativeAxis"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            var mean = m.Node("ReduceMean", [x], "mean", Ints("axes", [-1]));
            var centered = m.Node("Sub", [x, mean], "centered");
            return (m.Node("Add", [centered, m.Weight("b", 4)], "y"), x);
        }),
        ["MulDivWithLeadingAndUnitAxisBroadcast"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            var v = m.Input("v", 3, 1);
            var num = m.Node("Mul", [x, v], "num");
            var den = m.Node("Add", [m.Node("Mul", [v, v], "vv"), m.Weight("two", [2.0], [])], "den");
            return (m.Node("Div", [num, den], "y"), v);
        }),
        ["DivWrtNumeratorAndDenominator"] = (14, m =>
        {
            var x = m.Input("x", 3, 4);
            var den = m.Node("Add", [m.Node("Mul", [x, x], "xx"), m.Weight("one", [1.5], [])], "den");
            return (m.Node("Div", [m.Node("Mul", [x, m.Weight("w", 4)], "num"), den], "y"), x);
        }),
        ["UnaryChain"] = (14, m =>
        {
            var x = m.Input("x", 2, 5);
            var sq = m.Node("Pow", [x, m.Weight("p2", [2.0], [])], "sq");
            var root = m.Node("Sqrt", [m.Node("Add", [sq, m.Weight("one", [1.0], [])], "sq1")], "root");
            var chain = m.Node("Neg", [m.Node("Reciprocal", [root], "rec")], "neg");
            chain = m.Node("Exp", [chain], "exp");
            chain = m.Node("Sigmoid", [m.Node("Mul", [chain, m.Weight("w", 2, 5)], "scaled")], "sig");
            chain = m.Node("Tanh", [m.Node("Add", [chain, x], "mix")], "tanh");
            chain = m.Node("Log", [m.Node("Add", [chain, m.Weight("two", [2.0], [])], "pos")], "log");
            return (m.Node("Pow", [chain, m.Weight("p3", [1.7], [])], "y"), x);
        }),
        ["PowWithTensorExponent"] = (14, m =>
        {
            var x = m.Input("x", 2, 3);
            var basis = m.Node("Add", [m.Node("Mul", [x, x], "xx"), m.Weight("one", [1.0], [])], "basis");
            return (m.Node("Pow", [basis, x], "y"), x);
        }),
        ["WhereCastIdentityRelu"] = (14, m =>
        {
            var x = m.Input("x", 3, 4);
            var cond = m.Node("Greater", [x, m.Weight("zero", [0.1], [])], "cond");
            var w = m.Node("Where", [cond, m.Node("Mul", [x, x], "xx"), m.Node("Neg", [x], "nx")], "w");
            var c = m.Node("Cast", [m.Node("Identity", [w], "id")], "cast", Int("to", m.ElemType));
            return (m.Node("Relu", [m.Node("Sub", [c, m.Weight("shift", 3, 4)], "shifted")], "y"), x);
        }),
        ["SoftmaxOpset13LastAxis"] = (13, m =>
        {
            var x = m.Input("x", 2, 3, 5);
            return (m.Node("Softmax", [m.Node("Mul", [x, m.Weight("w", 3, 5)], "s")], "y"), x);
        }),
        ["SoftmaxOpset13MiddleAxis"] = (13, m =>
        {
            var x = m.Input("x", 2, 3, 5);
            return (m.Node("Softmax", [x], "y", Int("axis", -2)), x);
        }),
        ["SoftmaxOpset11FlattensTrailingAxes"] = (11, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            return (m.Node("Softmax", [x], "y", Int("axis", 1)), x);
        }),
        ["MatMulBatchedSelfAttentionScores"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 4, 5);
            var q = m.Node("MatMul", [x, m.Weight("wq", 5, 6)], "q");
            var k = m.Node("MatMul", [x, m.Weight("wk", 5, 6)], "k");
            var kt = m.Node("Transpose", [k], "kt", Ints("perm", [0, 1, 3, 2]));
            return (m.Node("Softmax", [m.Node("MatMul", [q, kt], "scores")], "y"), x);
        }),
        ["SelfAttentionSoftmaxReadOnlyByTheValueProduct"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 4, 5);
            var q = m.Node("MatMul", [x, m.Weight("wq", 5, 2)], "q");
            var kt = m.Node(
                "Transpose",
                [m.Node("MatMul", [x, m.Weight("wk", 5, 2)], "k")],
                "kt",
                Ints("perm", [0, 1, 3, 2])
            );
            var p = m.Node("Softmax", [m.Node("MatMul", [q, kt], "scores")], "p", Int("axis", -1));
            return (m.Node("MatMul", [p, m.Node("MatMul", [x, m.Weight("wv", 5, 3)], "v")], "y"), x);
        }),
        ["AttentionSoftmaxAlsoReadElsewhere"] = (14, m =>
        {
            var x = m.Input("x", 2, 4, 3);
            var p = m.Node("Softmax", [m.Node("MatMul", [x, m.Weight("k", 3, 5)], "scores")], "p", Int("axis", -1));
            var o = m.Node("MatMul", [p, m.Weight("v", 5, 3)], "o");
            return (
                m.Node(
                    "Add",
                    [m.Node("ReduceSum", [m.Node("Mul", [p, p], "pp"), m.Ints("axes", -1)], "pp_sum"), o],
                    "y"
                ),
                x
            );
        }),
        ["MatMulBroadcastRightOperand"] = (14, m =>
        {
            var x = m.Weight("x", 2, 3, 4, 5);
            var v = m.Input("v", 5, 2);
            var y1 = m.Node("MatMul", [x, v], "xv");
            return (
                m.Node(
                    "MatMul",
                    [m.Node("Transpose", [y1], "t", Ints("perm", [0, 1, 3, 2])), m.Weight("z", 3, 4, 2)],
                    "y"
                ),
                v
            );
        }),
        ["MatMulBroadcastLeftOperand"] = (14, m =>
        {
            var u = m.Input("u", 3, 4);
            return (m.Node("MatMul", [u, m.Weight("b", 2, 4, 5)], "y"), u);
        }),
        ["GemmTransposedBWithAlphaBetaAndBias"] = (14, m =>
        {
            var x = m.Input("x", 3, 4);
            var h = m.Node(
                "Gemm",
                [x, m.Weight("w", 5, 4), m.Weight("c", 5)],
                "h",
                Int("transB", 1),
                Float("alpha", 0.5f),
                Float("beta", 2f)
            );
            var bias = m.Node("ReduceSum", [x, m.Ints("axes", 0)], "bias", Int("keepdims", 1));
            return (m.Node("Gemm", [h, x, bias], "y", Int("transA", 1)), x);
        }),
        ["ConvStridedDilatedGroupedAsymmetricPads"] = (14, m =>
        {
            var x = m.Input("x", 1, 4, 7, 6);
            return (
                m.Node(
                    "Conv",
                    [x, m.Weight("w", 6, 2, 3, 3), m.Weight("b", 6)],
                    "y",
                    Ints("strides", [2, 2]),
                    Ints("pads", [1, 0, 1, 2]),
                    Ints("dilations", [1, 2]),
                    Int("group", 2)
                ),
                x
            );
        }),
        ["ConvStrideTwoEvenInputThenSameConv"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 8, 8);
            var down = m.Node(
                "Conv",
                [x, m.Weight("w1", 4, 3, 3, 3), m.Weight("b1", 4)],
                "down",
                Ints("strides", [2, 2]),
                Ints("pads", [1, 1, 1, 1]),
                Ints("kernel_shape", [3, 3])
            );
            return (m.Node("Conv", [down, m.Weight("w2", 2, 4, 1, 1)], "y"), x);
        }),
        ["ConvStrideOneWithDilationAndAsymmetricPads"] = (14, m =>
        {
            var x = m.Input("x", 1, 3, 7, 6);
            return (
                m.Node(
                    "Conv",
                    [x, m.Weight("w", 4, 3, 3, 3), m.Weight("b", 4)],
                    "y",
                    Ints("pads", [2, 0, 1, 2]),
                    Ints("dilations", [2, 1])
                ),
                x
            );
        }),
        ["InstanceNormalization"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 4, 5);
            return (
                m.Node("InstanceNormalization", [x, m.Weight("s", 3), m.Weight("b", 3)], "y", Float("epsilon", 1e-3f)),
                x
            );
        }),
        ["GroupNormAsExported"] = (14, GraphTestBlocks.GroupNorm),
        ["LayerNormalizationOpset17"] = (17, m =>
        {
            var x = m.Input("x", 2, 3, 6);
            return (
                m.Node(
                    "LayerNormalization",
                    [x, m.Weight("s", 6), m.Weight("b", 6)],
                    "y",
                    Int("axis", -1),
                    Float("epsilon", 1e-5f)
                ),
                x
            );
        }),
        ["LayerNormalizationOpset17OverTwoAxes"] = (17, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            return (m.Node("LayerNormalization", [x, m.Weight("s", 3, 4)], "y", Int("axis", 1)), x);
        }),
        ["LayerNormDecomposedOpset14"] = (14, DecomposedLayerNorm),
        // The same graph in float32: the rule's x̂ and 1/σ then come from one opset-17 LayerNormalization.
        ["LayerNormDecomposedOpset14Float32"] = (14, DecomposedLayerNorm),
        ["LayerNormalizationOpset17OverTwoAxesFloat32"] = (17, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            return (
                m.Node("LayerNormalization", [x, m.Weight("s", 3, 4), m.Weight("b", 3, 4)], "y", Int("axis", 1)),
                x
            );
        }),
        ["ReduceOpset11AttributeAxes"] = (11, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            var s = m.Node("ReduceSum", [x], "s", Ints("axes", [0, -1]), Int("keepdims", 0));
            var mean = m.Node("ReduceMean", [x], "mean", Ints("axes", [1]));
            return (m.Node("Mul", [m.Node("Unsqueeze", [s], "su", Ints("axes", [0, 2])), mean], "y"), x);
        }),
        ["ReduceOpset13AxesInput"] = (13, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            var s = m.Node("ReduceSum", [x, m.Ints("axes", 1, -1)], "s", Int("keepdims", 0));
            var all = m.Node("ReduceMean", [x], "all", Int("keepdims", 0));
            return (m.Node("Mul", [s, all], "y"), x);
        }),
        ["ReduceMeanOpset18AxesInput"] = (18, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            return (m.Node("ReduceMean", [x, m.Ints("axes", -2)], "y", Int("keepdims", 0)), x);
        }),
        ["ReshapeUnsqueezeExpandFlattenSqueezeOpset13"] = (13, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            var r = m.Node("Reshape", [x, m.Ints("shape", 6, -1)], "r");
            var u = m.Node("Unsqueeze", [r, m.Ints("ax0", 0)], "u");
            var e = m.Node("Expand", [u, m.Ints("eshape", 3, 1, 1)], "e");
            var f = m.Node("Flatten", [e], "f", Int("axis", 1));
            var s = m.Node("Squeeze", [m.Node("Unsqueeze", [f, m.Ints("axm1", -1)], "fu"), m.Ints("sqm1", -1)], "y");
            return (s, x);
        }),
        ["SqueezeUnsqueezeOpset11Attributes"] = (11, m =>
        {
            var x = m.Input("x", 2, 1, 4);
            var s = m.Node("Squeeze", [x], "s", Ints("axes", [1]));
            return (m.Node("Unsqueeze", [m.Node("Mul", [s, s], "ss")], "y", Ints("axes", [-1])), x);
        }),
        ["TransposeConcatSplitSliceOpset13"] = (13, m =>
        {
            var x = m.Input("x", 2, 3, 4);
            var t = m.Node("Transpose", [x], "t", Ints("perm", [2, 0, 1]));
            var c = m.Node("Concat", [t, m.Node("Mul", [t, t], "tt"), m.Node("Neg", [t], "nt")], "c", Int("axis", -1));
            var split = new NodeProto { OpType = "Split", Name = "split" };
            split.Input.AddRange([c, m.Ints("sizes", 1, 8)]);
            split.Output.AddRange(["s0", "s1"]);
            split.Attribute.Add(Int("axis", -1));
            m.Graph.Node.Add(split);
            var sl = m.Node("Slice", ["s1", m.Ints("st", 1), m.Ints("en", -1), m.Ints("ax", -1)], "sl");
            return (m.Node("Mul", [sl, "s0"], "y"), x);
        }),
        ["SplitOpset11WithUnusedOutput"] = (11, m =>
        {
            var x = m.Input("x", 2, 6);
            var split = new NodeProto { OpType = "Split", Name = "split" };
            split.Input.Add(x);
            split.Output.AddRange(["a", "b", "c"]);
            split.Attribute.AddRange([Int("axis", 1), Ints("split", [1, 2, 3])]);
            m.Graph.Node.Add(split);
            return (
                m.Node(
                    "Mul",
                    ["b", m.Node("Slice", ["c", m.Ints("st", 0), m.Ints("en", 2), m.Ints("ax", 1)], "c2")],
                    "y"
                ),
                x
            );
        }),
        ["SliceWithRuntimeStartsLikeChunk"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 8);
            var dim = m.Node("Gather", [m.Node("Shape", [x], "shape"), m.Ints("i2", 2)], "dim", Int("axis", 0));
            var half = m.Node("Div", [dim, m.Ints("two", 2)], "half");
            var a = m.Node("Slice", [x, m.Ints("zero", 0), half, m.Ints("ax", -1)], "a");
            var b = m.Node("Slice", [x, half, m.Ints("big", long.MaxValue), m.Ints("ax2", 2)], "b");
            return (m.Node("Mul", [a, m.Node("Sigmoid", [b], "gate")], "y"), x);
        }),
        ["SliceHalvesWithConstantBoundsTileTheAxis"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 8);
            var h = m.Node("MatMul", [x, m.Weight("w", 8, 6)], "h");
            var a = m.Node("Slice", [h, m.Ints("zero", 0), m.Ints("three", 3), m.Ints("ax", -1)], "a");
            var b = m.Node("Slice", [h, m.Ints("three2", 3), m.Ints("big", long.MaxValue), m.Ints("ax2", 2)], "b");
            return (m.Node("Mul", [a, m.Node("Sigmoid", [b], "gate")], "y"), x);
        }),
        ["SlicesThatOverlapAndLeaveAGap"] = (14, m =>
        {
            var x = m.Input("x", 2, 3, 8);
            var a = m.Node("Slice", [x, m.Ints("zero", 0), m.Ints("four", 4), m.Ints("ax", -1)], "a");
            var b = m.Node("Slice", [x, m.Ints("two", 2), m.Ints("six", 6), m.Ints("ax2", -1)], "b");
            var c = m.Node("Slice", [x, m.Ints("one", 1), m.Ints("three", 3), m.Ints("ax3", 1)], "c");
            var ab = m.Node("Mul", [a, m.Node("Sigmoid", [b], "gate")], "ab");
            return (
                m.Node(
                    "Add",
                    [
                        m.Node("ReduceSum", [ab, m.Ints("axes", 1)], "abs"),
                        m.Node("ReduceSum", [c, m.Ints("axes2", 2)], "cs"),
                    ],
                    "y"
                ),
                x
            );
        }),
        ["SiluAsExported"] = (14, m =>
        {
            var x = m.Input("x", 2, 6);
            var h = m.Node("MatMul", [x, m.Weight("w", 6, 4)], "h");
            return (m.Node("Mul", [m.Node("Sigmoid", [h], "s"), h], "y"), x);
        }),
        ["SiluWhoseSigmoidIsAlsoReadElsewhere"] = (14, m =>
        {
            var x = m.Input("x", 2, 6);
            var s = m.Node("Sigmoid", [x], "s");
            return (
                m.Node("Add", [m.Node("Mul", [x, s], "silu"), m.Node("Mul", [s, m.Weight("w", 2, 6)], "sw")], "y"),
                x
            );
        }),
        ["ErfAsInGelu"] = (14, m =>
        {
            var x = m.Input("x", 2, 7);
            var erf = m.Node("Erf", [m.Node("Div", [x, m.Weight("sqrt2", [Math.Sqrt(2)], [])], "xs")], "erf");
            var gelu = m.Node(
                "Mul",
                [
                    m.Node("Mul", [x, m.Node("Add", [erf, m.Weight("one", [1.0], [])], "erf1")], "xe"),
                    m.Weight("half", [0.5], []),
                ],
                "y"
            );
            return (gelu, x);
        }),
        ["GeluOperandsSwappedAndErfAlsoReadElsewhere"] = (14, m =>
        {
            var x = m.Input("x", 2, 7);
            var erf = m.Node("Erf", [m.Node("Div", [x, m.Weight("c", [1.3], [])], "xs")], "erf");
            var gelu = m.Node(
                "Mul",
                [
                    m.Weight("h", [0.7], []),
                    m.Node("Mul", [m.Node("Add", [m.Weight("one", [1.0], []), erf], "erf1"), x], "xe"),
                ],
                "gelu"
            );
            return (m.Node("Add", [gelu, m.Node("Mul", [erf, m.Weight("w", 2, 7)], "ew")], "y"), x);
        }),
        ["ResizeNearestIntegerScale"] = (13, m =>
        {
            var x = m.Input("x", 1, 2, 3, 4);
            var scales = new TensorProto { Name = "scales", DataType = TensorValues.Float };
            scales.Dims.Add(4);
            scales.FloatData.AddRange([1f, 1f, 2f, 3f]);
            m.Graph.Initializer.Add(scales);
            var up = m.Node(
                "Resize",
                [x, "", "scales"],
                "up",
                Str("mode", "nearest"),
                Str("coordinate_transformation_mode", "asymmetric"),
                Str("nearest_mode", "floor")
            );
            return (m.Node("Conv", [up, m.Weight("w", 2, 2, 3, 3)], "y", Ints("pads", [1, 1, 1, 1])), x);
        }),
    };

    /// <summary>LayerNorm over the last axis as opset-14 exports spell it, then its affine part.</summary>
    private static (string Output, string Wrt) DecomposedLayerNorm(GraphTestModel m)
    {
        var x = m.Input("x", 2, 3, 6);
        var mean = m.Node("ReduceMean", [x], "mean", Ints("axes", [-1]));
        var d = m.Node("Sub", [x, mean], "d");
        var var_ = m.Node(
            "ReduceMean",
            [m.Node("Pow", [d, m.Weight("two", [2.0], [])], "d2")],
            "var",
            Ints("axes", [-1])
        );
        var std = m.Node("Sqrt", [m.Node("Add", [var_, m.Weight("eps", [1e-5], [])], "ve")], "std");
        var norm = m.Node("Div", [d, std], "norm");
        return (m.Node("Add", [m.Node("Mul", [norm, m.Weight("s", 6)], "sn"), m.Weight("b", 6)], "y"), x);
    }

    // Ops ONNX Runtime's CPU provider implements only in float32.
    private static readonly HashSet<string> Float32Only =
    [
        "ConvStridedDilatedGroupedAsymmetricPads",
        "ConvStrideTwoEvenInputThenSameConv",
        "ConvStrideOneWithDilationAndAsymmetricPads",
        "InstanceNormalization",
        "GroupNormAsExported",
        "LayerNormDecomposedOpset14Float32",
        "LayerNormalizationOpset17OverTwoAxesFloat32",
        "ErfAsInGelu",
        "GeluOperandsSwappedAndErfAlsoReadElsewhere",
        "ResizeNearestIntegerScale",
    ];

    public static TheoryData<string, bool> AllCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name, false);
            data.Add(name, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Gradient_matches_central_finite_differences(string name, bool symbolicShapes)
    {
        var (opset, build) = Cases[name];
        var elemType = Float32Only.Contains(name) ? F32 : F64;
        var model = new GraphTestModel(opset, elemType, symbolicShapes);
        var (output, wrt) = build(model);
        model.Output(output);

        var result = GraphGradientCheck.Run(model, output, wrt);

        var tolerance = elemType == F64 ? 1e-6 : 5e-3;
        Assert.True(result.MaxAbsGradient > 1e-3, $"{name}: the gradient is ~0, the check would prove nothing");
        Assert.True(
            result.MaxAbsError <= tolerance * Math.Max(1, result.MaxAbsGradient),
            $"{name} (symbolic={symbolicShapes}): max |analytic − finite difference| = {result.MaxAbsError:E3} "
                + $"over {result.Checked} elements, max |grad| = {result.MaxAbsGradient:E3}"
        );
    }

    /// <summary>An attention block (q·kᵀ → softmax → ·v) with float16 values, as in an fp16 UNet export.</summary>
    private static (string Output, string Wrt) HalfPrecisionAttention(GraphTestModel m)
    {
        var x = m.Input("x", 2, 6, 4);
        var q = m.Node("MatMul", [x, m.Weight("wq", 4, 4)], "q");
        var kT = m.Node("Transpose", [m.Weight("k", 5, 4)], "kT", Ints("perm", [1, 0]));
        var scores = m.Node("Mul", [m.Node("MatMul", [q, kT], "qk"), m.Weight("scale", [1.5], [])], "scores");
        var attention = m.Node("Softmax", [scores], "attention", Int("axis", -1));
        var mixed = m.Node("Add", [m.Node("MatMul", [attention, m.Weight("v", 5, 4)], "av"), x], "mixed");
        return (m.Node("Sigmoid", [mixed], "y"), x);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Float16_forward_values_are_differentiated_in_float32(bool symbolicShapes)
    {
        var half = new GraphTestModel(14, TensorValues.Float16, symbolicShapes);
        var (halfOutput, halfWrt) = HalfPrecisionAttention(half);
        half.Output(halfOutput);
        var single = new GraphTestModel(14, F32, symbolicShapes) { HalfPrecisionValues = true };
        var (singleOutput, singleWrt) = HalfPrecisionAttention(single);
        single.Output(singleOutput);

        var (halfGradient, compiled) = GraphGradientCheck.Gradient(half, halfOutput, halfWrt);
        var (singleGradient, _) = GraphGradientCheck.Gradient(single, singleOutput, singleWrt);

        // The gradient output is float32, and the fp16 forward values reach it through Casts (no fp16 arithmetic
        // in the backward pass): it agrees with the fp32 twin at the same (fp16-representable) point to fp16's
        // forward rounding, far inside what an fp16 backward pass would give.
        Assert.Equal(TensorValues.Float, new TensorTypes(compiled).Of(compiled.Graph.Output[1].Name));
        Assert.Contains(compiled.Graph.Node, n =>
            n.OpType == "Cast" && n.Attribute.Single(a => a.Name == "to").I == TensorValues.Float
        );
        var scale = singleGradient.Max(Math.Abs);
        var error = halfGradient.Zip(singleGradient, (a, b) => Math.Abs(a - b)).Max() / scale;
        Assert.True(scale > 1e-3, "the gradient is ~0, the comparison would prove nothing");
        Assert.True(
            error <= 5e-3,
            $"fp16-graph gradient differs from the fp32 twin by {error:E2} relative to max |grad| {scale:E2}"
        );
    }
}
