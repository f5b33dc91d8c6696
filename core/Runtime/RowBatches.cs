using Microsoft.ML.OnnxRuntime.Tensors;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// Adapts a request of any batch size to a graph exported with a fixed batch: rows are run in chunks of the
/// graph's batch, a short chunk is padded by repeating its last row, and padded outputs are dropped.
/// </summary>
internal static class RowBatches
{
    public static DenseTensor<float> Run(int rows, int? modelBatch, Func<int[], DenseTensor<float>> runRows)
    {
        if (rows <= 0)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, "a batch needs at least one row");
        var chunk = modelBatch ?? rows;
        var parts = new List<DenseTensor<float>>();
        for (var start = 0; start < rows; start += chunk)
        {
            var count = Math.Min(chunk, rows - start);
            var indices = Enumerable.Range(0, chunk).Select(i => start + Math.Min(i, count - 1)).ToArray();
            var output = runRows(indices);
            parts.Add(count == chunk ? output : TakeRows(output, count));
        }
        return parts.Count == 1 ? parts[0] : Concat(parts);
    }

    /// <summary>
    /// The chosen rows, laid out row after row: a slice of <paramref name="data"/> when they are consecutive (a
    /// dynamic-batch graph takes the whole tensor in place), otherwise a new array.
    /// </summary>
    public static Memory<T> Gather<T>(Memory<T> data, int rowSize, int[] rows)
    {
        if (rows.Select((row, i) => row - i).All(offset => offset == rows[0]))
            return data.Slice(rows[0] * rowSize, rows.Length * rowSize);
        var result = new T[rows.Length * rowSize];
        var source = data.Span;
        for (var i = 0; i < rows.Length; i++)
            source.Slice(rows[i] * rowSize, rowSize).CopyTo(result.AsSpan(i * rowSize));
        return result;
    }

    private static DenseTensor<float> TakeRows(DenseTensor<float> tensor, int count)
    {
        var dims = tensor.Dimensions.ToArray();
        var rowSize = (int)(tensor.Length / dims[0]);
        dims[0] = count;
        return new DenseTensor<float>(tensor.Buffer[..(count * rowSize)].ToArray(), dims);
    }

    private static DenseTensor<float> Concat(List<DenseTensor<float>> parts)
    {
        var dims = parts[0].Dimensions.ToArray();
        dims[0] = parts.Sum(p => p.Dimensions[0]);
        var data = new float[parts.Sum(p => (int)p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.Buffer.Span.CopyTo(data.AsSpan(offset));
            offset += (int)part.Length;
        }
        return new DenseTensor<float>(data, dims);
    }
}
