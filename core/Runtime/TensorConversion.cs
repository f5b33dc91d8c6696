using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;

namespace Pix2PixZero.Core.Runtime;

/// <summary>fp32/int64 host data to and from the element type a graph declares.</summary>
internal static class TensorConversion
{
    public static NamedOnnxValue ToInput(string name, TensorElementType type, ReadOnlySpan<float> values, int[] shape)
    {
        switch (type)
        {
            case TensorElementType.Float:
                return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values.ToArray(), shape));
            case TensorElementType.Float16:
                var halves = new Float16[values.Length];
                for (var i = 0; i < values.Length; i++) halves[i] = (Float16)values[i];
                return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<Float16>(halves, shape));
            case TensorElementType.Double:
                var doubles = new double[values.Length];
                for (var i = 0; i < values.Length; i++) doubles[i] = values[i];
                return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<double>(doubles, shape));
            case TensorElementType.Int64:
            case TensorElementType.Int32:
                var longs = new long[values.Length];
                for (var i = 0; i < values.Length; i++) longs[i] = (long)MathF.Round(values[i]);
                return ToInput(name, type, longs, shape);
            default:
                throw new NotSupportedException($"input '{name}' has element type {type}; expected a float or integer tensor");
        }
    }

    public static NamedOnnxValue ToInput(string name, TensorElementType type, ReadOnlySpan<long> values, int[] shape)
    {
        switch (type)
        {
            case TensorElementType.Int64:
                return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values.ToArray(), shape));
            case TensorElementType.Int32:
                var ints = new int[values.Length];
                for (var i = 0; i < values.Length; i++) ints[i] = checked((int)values[i]);
                return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(ints, shape));
            default:
                var floats = new float[values.Length];
                for (var i = 0; i < values.Length; i++) floats[i] = values[i];
                return ToInput(name, type, floats, shape);
        }
    }

    public static DenseTensor<float> ToFloat(DisposableNamedOnnxValue value, string modelPath)
    {
        switch (value.Value)
        {
            case DenseTensor<float> f:
                return new DenseTensor<float>(f.Buffer.ToArray(), f.Dimensions.ToArray());
            case DenseTensor<Float16> h:
                var src = h.Buffer.Span;
                var data = new float[src.Length];
                for (var i = 0; i < data.Length; i++) data[i] = (float)src[i];
                return new DenseTensor<float>(data, h.Dimensions.ToArray());
            default:
                throw new ModelBundleException(modelPath, $"output '{value.Name}' is {value.Value?.GetType().Name ?? "null"}; expected a float or float16 tensor");
        }
    }
}
