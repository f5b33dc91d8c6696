using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Tests.Support;

/// <summary>Builds small ONNX graphs in C# for gradient-rule tests: typed inputs, random initializers, nodes.</summary>
public sealed class GraphTestModel
{
    private readonly Random _random;
    private readonly ModelProto _model;

    public GraphTestModel(long opset, int elemType, bool dynamic, int seed = 1234)
    {
        ElemType = elemType;
        Dynamic = dynamic;
        _random = new Random(seed);
        _model = new ModelProto
        {
            IrVersion = 8,
            Graph = new GraphProto { Name = "test" },
        };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    public int ElemType { get; }
    public bool Dynamic { get; }
    public GraphProto Graph => _model.Graph;
    public Dictionary<string, (long[] Shape, double[] Values)> Feeds { get; } = new();

    /// <summary>A graph input with random values; dynamic models declare every dimension symbolically.</summary>
    public string Input(string name, params long[] shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = ElemType, Shape = new TensorShapeProto() };
        for (var i = 0; i < shape.Length; i++)
            tensorType.Shape.Dim.Add(
                Dynamic
                    ? new TensorShapeProto.Types.Dimension { DimParam = $"{name}_d{i}" }
                    : new TensorShapeProto.Types.Dimension { DimValue = shape[i] }
            );
        Graph.Input.Add(
            new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = tensorType },
            }
        );
        Feeds[name] = (shape, RandomValues(shape));
        return name;
    }

    public string Weight(string name, params long[] shape) => Weight(name, RandomValues(shape), shape);

    public string Weight(string name, double[] values, long[] shape)
    {
        var t = new TensorProto { Name = name, DataType = ElemType };
        t.Dims.AddRange(shape);
        if (ElemType == TensorValues.Double)
            t.DoubleData.AddRange(values);
        else if (ElemType == TensorValues.Float16)
            t.Int32Data.AddRange(values.Select(v => (int)BitConverter.HalfToUInt16Bits((Half)v)));
        else
            t.FloatData.AddRange(values.Select(v => (float)v));
        Graph.Initializer.Add(t);
        return name;
    }

    public string Ints(string name, params long[] values)
    {
        Graph.Initializer.Add(TensorValues.Int64s(name, values));
        return name;
    }

    public string Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = "n_" + output };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        Graph.Node.Add(n);
        return output;
    }

    public void Output(string name) =>
        Graph.Output.Add(
            new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = ElemType } },
            }
        );

    public OnnxGraph Build() => new(_model.Clone());

    /// <summary>Uniform in [−1, 1), rounded to float16 when <see cref="HalfPrecisionValues"/> is set.</summary>
    public double[] RandomValues(long[] shape)
    {
        var n = shape.Aggregate(1L, (p, d) => p * d);
        return Enumerable
            .Range(0, (int)n)
            .Select(_ => _random.NextDouble() * 2 - 1)
            .Select(v => HalfPrecisionValues ? (double)(Half)v : v)
            .ToArray();
    }

    /// <summary>
    /// Round every random value to float16, so an fp32 twin of an fp16 graph computes at the same point.
    /// </summary>
    public bool HalfPrecisionValues { get; init; }
}
