using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Runtime;

public sealed class TensorConversionTests
{
    [Fact]
    public void Data_in_the_declared_type_is_handed_to_onnx_runtime_without_a_copy()
    {
        var floats = new float[] { 1, 2, 3, 4 };
        var longs = new long[] { 5, 6 };
        using (var value = TensorConversion.ToInput("x", TensorElementType.Float, floats, [2, 2]))
            value.GetTensorMutableDataAsSpan<float>()[3] = 40;
        using (var value = TensorConversion.ToInput("ids", TensorElementType.Int64, longs, [1, 2]))
            value.GetTensorMutableDataAsSpan<long>()[0] = 50;
        Assert.Equal([1f, 2, 3, 40], floats);
        Assert.Equal([50L, 6], longs);
    }

    [Fact]
    public void Fp32_data_is_converted_to_the_declared_element_type_with_integers_rounded()
    {
        float[] values = [0.4f, 1.6f, -2.5f, 981f];
        using var half = TensorConversion.ToInput("x", TensorElementType.Float16, values, [4]);
        using var wide = TensorConversion.ToInput("x", TensorElementType.Double, values, [2, 2]);
        using var int64 = TensorConversion.ToInput("t", TensorElementType.Int64, values, [4]);
        using var int32 = TensorConversion.ToInput("t", TensorElementType.Int32, values, [4]);
        Assert.Equal(values.Select(v => (Float16)v), half.GetTensorDataAsSpan<Float16>().ToArray());
        Assert.Equal(values.Select(v => (double)v), wide.GetTensorDataAsSpan<double>().ToArray());
        Assert.Equal([0L, 2, -2, 981], int64.GetTensorDataAsSpan<long>().ToArray());
        Assert.Equal([0, 2, -2, 981], int32.GetTensorDataAsSpan<int>().ToArray());
        Assert.Equal([2L, 2], wide.GetTensorTypeAndShape().Shape);
    }

    [Fact]
    public void Int64_ids_are_narrowed_for_an_int32_input_and_refused_when_they_do_not_fit()
    {
        using var ids = TensorConversion.ToInput("ids", TensorElementType.Int32, new long[] { 49406, 49407 }, [1, 2]);
        Assert.Equal([49406, 49407], ids.GetTensorDataAsSpan<int>().ToArray());
        Assert.Throws<OverflowException>(() =>
            TensorConversion.ToInput("ids", TensorElementType.Int32, new long[] { 1L << 40 }, [1])
        );
    }

    [Fact]
    public void Float16_outputs_are_read_back_as_fp32_with_their_shape()
    {
        using var value = OrtValue.CreateTensorValueFromMemory(
            new Float16[] { (Float16)0.5f, (Float16)(-3f), (Float16)7f },
            [1, 3]
        );
        var result = TensorConversion.ToFloat(value, "out_sample", "unet/model.onnx");
        Assert.Equal([1, 3], result.Dimensions.ToArray());
        Assert.Equal([0.5f, -3f, 7f], result.Buffer.ToArray());
    }

    [Fact]
    public void An_output_that_is_not_floating_point_is_a_bundle_error_naming_the_output()
    {
        using var value = OrtValue.CreateTensorValueFromMemory(new long[] { 1 }, [1]);
        var error = Assert.Throws<ModelBundleException>(() =>
            TensorConversion.ToFloat(value, "logits", "text_decoder/model.onnx")
        );
        Assert.Contains("'logits'", error.Problem);
        Assert.Equal("text_decoder/model.onnx", error.Path);
    }
}
