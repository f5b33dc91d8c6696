using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Runtime;

public sealed class BoundTensorTests
{
    [Fact]
    public void Rows_of_a_bound_tensor_are_views_of_its_memory_with_the_rows_shape()
    {
        using var tensor = new BoundTensor(OrtAllocator.DefaultInstance, TensorElementType.Float, [4, 3, 2]);
        var whole = tensor.Value.GetTensorMutableDataAsSpan<float>();
        for (var i = 0; i < whole.Length; i++)
            whole[i] = i;

        var second = tensor.Rows(batch: 2, first: 1, count: 1);
        second.GetTensorMutableDataAsSpan<float>()[0] = -1;

        Assert.Equal([2L, 3, 2], second.GetTensorTypeAndShape().Shape);
        Assert.Equal(13f, second.GetTensorDataAsSpan<float>()[1]);
        Assert.Equal(-1f, tensor.Value.GetTensorDataAsSpan<float>()[12]);
        Assert.Equal([4L, 3, 2], tensor.Rows(batch: 2, first: 0, count: 2).GetTensorTypeAndShape().Shape);
    }

    [Fact]
    public void Rows_outside_the_batch_are_refused_with_the_tensor_shape()
    {
        using var tensor = new BoundTensor(OrtAllocator.DefaultInstance, TensorElementType.Float16, [6, 5]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tensor.Rows(batch: 2, first: 1, count: 2));
        Assert.Contains("[6, 5]", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tensor.Rows(batch: 4, first: 0, count: 1));
    }

    [Fact]
    public void Fp16_and_integer_buffers_are_refilled_and_read_in_place()
    {
        using var half = new BoundTensor(OrtAllocator.DefaultInstance, TensorElementType.Float16, [3]);
        using var step = new BoundTensor(OrtAllocator.DefaultInstance, TensorElementType.Int64, [2]);
        TensorConversion.Write(half.Value, half.Type, [0.5f, -2f, 1000f]);
        TensorConversion.Write(step.Value, step.Type, [980.6f, 980.6f]);
        var back = new float[3];
        TensorConversion.Read(half.Value, half.Type, back, "noise", "model.onnx");
        Assert.Equal([0.5f, -2f, 1000f], back);
        Assert.Equal([981L, 981], step.Value.GetTensorDataAsSpan<long>().ToArray());
    }

    [Fact]
    public void Buffers_kept_between_runs_live_in_the_cuda_device_memory_on_cuda_and_on_the_host_otherwise()
    {
        using var cuda = BufferPlacement.MemoryOf(ExecutionProvider.Cuda, deviceId: 1);
        Assert.Equal("Cuda", cuda.Name);
        Assert.Equal(1, cuda.Id);
        Assert.Equal(OrtAllocatorType.DeviceAllocator, cuda.GetAllocatorType());
        Assert.Equal(OrtMemType.Default, cuda.GetMemoryType());
        foreach (ExecutionProvider? provider in new ExecutionProvider?[] { ExecutionProvider.Cpu, null })
            Assert.Same(OrtMemoryInfo.DefaultInstance, BufferPlacement.MemoryOf(provider, deviceId: 1));
    }
}
