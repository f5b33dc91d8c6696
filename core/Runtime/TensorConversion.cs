using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// fp32/int64 host data to and from the element type a graph declares. Data already in the declared type is handed
/// to ONNX Runtime in place (the value pins it until disposed); other types are converted once into memory ONNX
/// Runtime allocates.
/// </summary>
internal static class TensorConversion
{
    public static OrtValue ToInput(string name, TensorElementType type, Memory<float> values, long[] shape)
    {
        switch (type)
        {
            case TensorElementType.Float:
                return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, values, shape);
            case TensorElementType.Float16:
                return Allocate<Float16>(type, shape, halves =>
                {
                    var src = values.Span;
                    for (var i = 0; i < halves.Length; i++)
                        halves[i] = (Float16)src[i];
                });
            case TensorElementType.Double:
                return Allocate<double>(type, shape, doubles =>
                {
                    var src = values.Span;
                    for (var i = 0; i < doubles.Length; i++)
                        doubles[i] = src[i];
                });
            case TensorElementType.Int64:
                return Allocate<long>(type, shape, longs =>
                {
                    var src = values.Span;
                    for (var i = 0; i < longs.Length; i++)
                        longs[i] = (long)MathF.Round(src[i]);
                });
            case TensorElementType.Int32:
                return Allocate<int>(type, shape, ints =>
                {
                    var src = values.Span;
                    for (var i = 0; i < ints.Length; i++)
                    {
                        var rounded = (long)MathF.Round(src[i]);
                        ints[i] = checked((int)rounded);
                    }
                });
            default:
                throw new NotSupportedException(
                    $"input '{name}' has element type {type}; expected a float or integer tensor"
                );
        }
    }

    public static OrtValue ToInput(string name, TensorElementType type, Memory<long> values, long[] shape)
    {
        switch (type)
        {
            case TensorElementType.Int64:
                return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, values, shape);
            case TensorElementType.Int32:
                return Allocate<int>(type, shape, ints =>
                {
                    var src = values.Span;
                    for (var i = 0; i < ints.Length; i++)
                        ints[i] = checked((int)src[i]);
                });
            default:
                var floats = new float[values.Length];
                var longs = values.Span;
                for (var i = 0; i < floats.Length; i++)
                    floats[i] = longs[i];
                return ToInput(name, type, floats, shape);
        }
    }

    public static DenseTensor<float> ToFloat(OrtValue value, string name, string modelPath)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
            throw new ModelBundleException(
                modelPath,
                $"output '{name}' is {value.OnnxType}; expected a float or float16 tensor"
            );
        var info = value.GetTensorTypeAndShape();
        var dims = Array.ConvertAll(info.Shape, d => checked((int)d));
        switch (info.ElementDataType)
        {
            case TensorElementType.Float:
                return new DenseTensor<float>(value.GetTensorDataAsSpan<float>().ToArray(), dims);
            case TensorElementType.Float16:
                var src = value.GetTensorDataAsSpan<Float16>();
                var data = new float[src.Length];
                for (var i = 0; i < data.Length; i++)
                    data[i] = (float)src[i];
                return new DenseTensor<float>(data, dims);
            default:
                throw new ModelBundleException(
                    modelPath,
                    $"output '{name}' is a {info.ElementDataType} tensor; expected a float or float16 tensor"
                );
        }
    }

    private static OrtValue Allocate<T>(TensorElementType type, long[] shape, Action<Span<T>> fill)
        where T : unmanaged
    {
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
        try
        {
            fill(value.GetTensorMutableDataAsSpan<T>());
            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }
}
