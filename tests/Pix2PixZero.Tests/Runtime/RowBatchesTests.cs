using System.Runtime.InteropServices;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Runtime;

public sealed class RowBatchesTests
{
    [Fact]
    public void Consecutive_rows_are_a_slice_of_the_data_not_a_copy()
    {
        var data = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        var rows = RowBatches.Gather<float>(data, 3, [1, 2]);
        Assert.True(MemoryMarshal.TryGetArray<float>(rows, out var segment));
        Assert.Same(data, segment.Array);
        Assert.Equal([3f, 4, 5, 6, 7, 8], rows.ToArray());
    }

    [Fact]
    public void A_padded_chunk_repeats_its_last_row()
    {
        var data = Enumerable.Range(0, 9).Select(i => (float)i).ToArray();
        var rows = RowBatches.Gather<float>(data, 3, [2, 2]);
        Assert.Equal([6f, 7, 8, 6, 7, 8], rows.ToArray());
        Assert.True(MemoryMarshal.TryGetArray<float>(rows, out var segment));
        Assert.NotSame(data, segment.Array);
    }
}
