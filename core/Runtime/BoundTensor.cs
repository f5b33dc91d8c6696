using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// A tensor in memory an ONNX Runtime allocator handed out once (host memory, or a device's for the maps on CUDA), to
/// bind as a run's input or output again and again. Views of its leading rows (<see cref="Rows"/>) are tensors over
/// parts of the same memory, so one graph's output feeds another graph's input a row at a time without a copy.
/// </summary>
public sealed class BoundTensor : IDisposable
{
    private readonly OrtMemoryAllocation _memory;
    private readonly List<OrtValue> _views = [];

    public BoundTensor(OrtAllocator allocator, TensorElementType type, long[] shape)
    {
        Type = type;
        Shape = shape;
        var bytes = ElementSize(type) * shape.Aggregate(1L, (n, d) => n * d);
        _memory = allocator.Allocate((uint)checked((int)Math.Max(bytes, 1)));
        try
        {
            Value = View(shape, 0);
        }
        catch
        {
            _memory.Dispose();
            throw;
        }
    }

    public TensorElementType Type { get; }

    public long[] Shape { get; }

    /// <summary>The whole tensor.</summary>
    public OrtValue Value { get; }

    /// <summary>
    /// Rows <paramref name="first"/>…<paramref name="first"/>+<paramref name="count"/>−1 of <paramref name="batch"/>,
    /// the leading axis holding the batch outermost (B for a sample or text, B·heads for a map), over this memory.
    /// </summary>
    public OrtValue Rows(int batch, int first, int count)
    {
        if (Shape.Length == 0 || Shape[0] % batch != 0 || first < 0 || count < 1 || first + count > batch)
            throw new ArgumentOutOfRangeException(
                nameof(first),
                $"rows {first}..{first + count - 1} of a {batch}-row batch in a tensor of shape "
                    + $"[{string.Join(", ", Shape)}]"
            );
        var shape = (long[])Shape.Clone();
        shape[0] = Shape[0] / batch * count;
        var rowBytes = ElementSize(Type) * Elements(Shape) / batch;
        return View(shape, first * rowBytes);
    }

    public void Dispose()
    {
        foreach (var view in _views)
            view.Dispose();
        _memory.Dispose();
    }

    private OrtValue View(long[] shape, long offset)
    {
        var value = OrtValue.CreateTensorValueWithData(
            _memory.Info,
            Type,
            shape,
            _memory.DangerousGetHandle() + (nint)offset,
            ElementSize(Type) * Elements(shape)
        );
        _views.Add(value);
        return value;
    }

    private static long Elements(long[] shape) => shape.Aggregate(1L, (n, d) => n * d);

    private static long ElementSize(TensorElementType type) =>
        type switch
        {
            TensorElementType.Float or TensorElementType.Int32 => 4,
            TensorElementType.Float16 => 2,
            TensorElementType.Double or TensorElementType.Int64 => 8,
            _ => throw new NotSupportedException($"a bound tensor of {type} elements"),
        };
}
