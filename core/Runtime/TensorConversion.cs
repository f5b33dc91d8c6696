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
        if (type == TensorElementType.Float)
            return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, values, shape);
        Supported(name, type);
        var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type, shape);
        try
        {
            Write(value, type, values.Span);
            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes fp32 values into a host tensor of a float or integer element type (integers rounded), in place: how a
    /// bound buffer is refilled each step without a managed copy.
    /// </summary>
    public static void Write(OrtValue value, TensorElementType type, ReadOnlySpan<float> src)
    {
        switch (type)
        {
            case TensorElementType.Float:
                src.CopyTo(value.GetTensorMutableDataAsSpan<float>());
                break;
            case TensorElementType.Float16:
                var halves = value.GetTensorMutableDataAsSpan<Float16>();
                for (var i = 0; i < halves.Length; i++)
                    halves[i] = (Float16)src[i];
                break;
            case TensorElementType.Double:
                var doubles = value.GetTensorMutableDataAsSpan<double>();
                for (var i = 0; i < doubles.Length; i++)
                    doubles[i] = src[i];
                break;
            case TensorElementType.Int64:
                var longs = value.GetTensorMutableDataAsSpan<long>();
                for (var i = 0; i < longs.Length; i++)
                    longs[i] = (long)MathF.Round(src[i]);
                break;
            case TensorElementType.Int32:
                var ints = value.GetTensorMutableDataAsSpan<int>();
                for (var i = 0; i < ints.Length; i++)
                    ints[i] = checked((int)(long)MathF.Round(src[i]));
                break;
            default:
                Supported("a bound buffer", type);
                break;
        }
    }

    /// <summary>A host tensor of fp32 or fp16 read as fp32 into <paramref name="dst"/>.</summary>
    public static void Read(OrtValue value, TensorElementType type, Span<float> dst, string name, string modelPath)
    {
        switch (type)
        {
            case TensorElementType.Float:
                value.GetTensorDataAsSpan<float>().CopyTo(dst);
                break;
            case TensorElementType.Float16:
                var src = value.GetTensorDataAsSpan<Float16>();
                for (var i = 0; i < src.Length; i++)
                    dst[i] = (float)src[i];
                break;
            default:
                throw new ModelBundleException(
                    modelPath,
                    $"output '{name}' is a {type} tensor; expected a float or float16 tensor"
                );
        }
    }

    private static void Supported(string name, TensorElementType type)
    {
        if (
            type
            is not (
                TensorElementType.Float
                or TensorElementType.Float16
                or TensorElementType.Double
                or TensorElementType.Int64
                or TensorElementType.Int32
            )
        )
            throw new NotSupportedException(
                $"input '{name}' has element type {type}; expected a float or integer tensor"
            );
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
        var data = new float[info.ElementCount];
        Read(value, info.ElementDataType, data, name, modelPath);
        return new DenseTensor<float>(data, Array.ConvertAll(info.Shape, d => checked((int)d)));
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
