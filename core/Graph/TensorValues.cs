using System.Runtime.InteropServices;
using Google.Protobuf;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>Reads small inline constant tensors (axes, shapes, exponents) and builds new ones.</summary>
public static class TensorValues
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Double = (int)TensorProto.Types.DataType.Double;
    public const int Float16 = (int)TensorProto.Types.DataType.Float16;
    public const int BFloat16 = (int)TensorProto.Types.DataType.Bfloat16;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;
    public const int Bool = (int)TensorProto.Types.DataType.Bool;

    public static bool IsFloating(int dataType) => dataType is Float or Double or Float16 or BFloat16;

    public static bool IsExternal(TensorProto t) => t.DataLocation == TensorProto.Types.DataLocation.External;

    public static bool TryReadInts(TensorProto t, out long[] values)
    {
        values = [];
        if (IsExternal(t))
            return false;
        switch (t.DataType)
        {
            case Int64:
                values =
                    t.RawData.Length > 0
                        ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray()
                        : t.Int64Data.ToArray();
                return true;
            case Int32:
                values =
                    t.RawData.Length > 0
                        ? MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v).ToArray()
                        : t.Int32Data.Select(v => (long)v).ToArray();
                return true;
            default:
                return false;
        }
    }

    public static bool TryReadFloats(TensorProto t, out double[] values)
    {
        values = [];
        if (IsExternal(t))
            return false;
        switch (t.DataType)
        {
            case Float:
                values = (
                    t.RawData.Length > 0
                        ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray()
                        : t.FloatData.ToArray()
                )
                    .Select(v => (double)v)
                    .ToArray();
                return true;
            case Double:
                values =
                    t.RawData.Length > 0
                        ? MemoryMarshal.Cast<byte, double>(t.RawData.Span).ToArray()
                        : t.DoubleData.ToArray();
                return true;
            case Float16:
                values = (
                    t.RawData.Length > 0
                        ? MemoryMarshal.Cast<byte, Half>(t.RawData.Span).ToArray()
                        : t.Int32Data.Select(b => BitConverter.UInt16BitsToHalf((ushort)b)).ToArray()
                )
                    .Select(v => (double)v)
                    .ToArray();
                return true;
            default:
                return TryReadInts(t, out var ints) && (values = ints.Select(v => (double)v).ToArray()) is not null;
        }
    }

    public static TensorProto Int64s(string name, long[] values, long[]? dims = null)
    {
        var t = new TensorProto { Name = name, DataType = Int64 };
        t.Dims.AddRange(dims ?? [values.Length]);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    /// <summary>A scalar (rank 0) of the given floating type.</summary>
    public static TensorProto Scalar(string name, double value, int dataType)
    {
        var t = new TensorProto { Name = name, DataType = dataType };
        t.RawData = dataType switch
        {
            Float => ByteString.CopyFrom(BitConverter.GetBytes((float)value)),
            Double => ByteString.CopyFrom(BitConverter.GetBytes(value)),
            Float16 => ByteString.CopyFrom(BitConverter.GetBytes((Half)value)),
            _ => throw new ArgumentOutOfRangeException(
                nameof(dataType),
                dataType,
                "Only float, double and float16 scalars are emitted."
            ),
        };
        return t;
    }

    public static TensorProto Floats(string name, float[] values, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }
}
