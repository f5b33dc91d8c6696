using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Runtime;

/// <summary>
/// The CUDA provider's options: what settings turn into, the one dictionary the session factory hands to ONNX
/// Runtime's provider options object, and what a machine without CUDA does with them.
/// </summary>
public sealed class CudaOptionsTests
{
    private static readonly Dictionary<string, string> Production = new()
    {
        ["arena_extend_strategy"] = "kSameAsRequested",
        ["cudnn_conv_algo_search"] = "HEURISTIC",
        ["device_id"] = "0",
        ["use_tf32"] = "1",
    };

    private static CudaOptions Read(params (string Setting, string Value)[] values) =>
        CudaOptions.Read(s => values.FirstOrDefault(v => v.Setting == s).Value, s => $"<{s}>");

    [Fact]
    public void Unset_settings_give_the_production_options_with_no_memory_limit()
    {
        Assert.Equal(Production, Read().ProviderOptions());
        Assert.Equal(
            Production,
            Read((CudaOptions.DeviceSetting, " "), (CudaOptions.MemoryLimitSetting, "")).ProviderOptions()
        );
    }

    [Fact]
    public void Each_setting_reaches_its_provider_option()
    {
        var options = Read(
            (CudaOptions.DeviceSetting, "1"),
            (CudaOptions.MemoryLimitSetting, "12GiB"),
            (CudaOptions.ConvAlgoSearchSetting, "exhaustive"),
            (CudaOptions.ParitySetting, "True")
        );

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["arena_extend_strategy"] = "kSameAsRequested",
                ["cudnn_conv_algo_search"] = "EXHAUSTIVE",
                ["device_id"] = "1",
                ["gpu_mem_limit"] = "12884901888",
                ["use_tf32"] = "0",
            },
            options.ProviderOptions()
        );
    }

    [Theory]
    [InlineData("8000MiB", 8000L << 20)]
    [InlineData("1048576KiB", 1L << 30)]
    [InlineData("3221225472", 3L << 30)]
    [InlineData("3 GiB", 3L << 30)]
    [InlineData("67108864B", 64L << 20)]
    public void A_memory_limit_is_bytes_or_a_number_of_binary_units(string text, long bytes) =>
        Assert.Equal(bytes, Read((CudaOptions.MemoryLimitSetting, text)).MemoryLimit);

    [Theory]
    [InlineData(CudaOptions.DeviceSetting, "-1", "use a GPU index 0..255")]
    [InlineData(CudaOptions.DeviceSetting, "gpu0", "use a GPU index 0..255")]
    [InlineData(CudaOptions.DeviceSetting, "256", "use a GPU index 0..255")]
    [InlineData(CudaOptions.MemoryLimitSetting, "12GB", "use bytes, or a number with KiB, MiB or GiB")]
    [InlineData(CudaOptions.MemoryLimitSetting, "1MiB", "of at least 64MiB")]
    [InlineData(CudaOptions.MemoryLimitSetting, "99999999999GiB", "use bytes, or a number with KiB, MiB or GiB")]
    [InlineData(CudaOptions.MemoryLimitSetting, "-5", "use bytes")]
    [InlineData(CudaOptions.ConvAlgoSearchSetting, "fast", "use Exhaustive, Heuristic or Default")]
    [InlineData(CudaOptions.ConvAlgoSearchSetting, "1", "use Exhaustive, Heuristic or Default")]
    [InlineData(CudaOptions.ParitySetting, "yes", "use true (TF32 off, for comparing with the CPU) or false")]
    public void A_bad_value_is_refused_naming_the_setting_the_value_and_what_is_accepted(
        string setting,
        string value,
        string accepted
    )
    {
        var error = Assert.Throws<InvalidOptionException>(() => Read((setting, value)));

        Assert.Equal($"<{setting}>", error.Option);
        Assert.StartsWith($"<{setting}> = {value} is not accepted: ", error.Message);
        Assert.Contains(accepted, error.Message);
        Assert.Equal(FailureKind.InvalidInput, error.Kind);
    }

    [Fact]
    public void The_provider_options_object_holds_exactly_the_options_dictionary_where_cuda_loads()
    {
        var cuda = Read((CudaOptions.DeviceSetting, "0"), (CudaOptions.MemoryLimitSetting, "6GiB"));
        var factory = new OnnxSessionFactory(ExecutionProvider.Auto, cuda: cuda);
        if (TestProvider.Requested != ExecutionProvider.Cuda)
        {
            // This build cannot make the object at all (the CPU package, or the GPU package without CUDA's libraries):
            // which is why the options are a plain dictionary until a CUDA machine takes them.
            Assert.ThrowsAny<OnnxRuntimeException>(() => factory.NewCudaProviderOptions().Dispose());
            return;
        }
        using var providerOptions = factory.NewCudaProviderOptions();
        var held = providerOptions
            .GetOptions()
            .Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .ToDictionary(pair => pair[0], pair => pair[1]);
        foreach (var (name, value) in cuda.ProviderOptions())
            Assert.Equal(value, held[name]);
    }

    [Fact]
    public void Without_cuda_auto_falls_back_to_the_cpu_and_logs_the_cuda_options_it_did_not_use()
    {
        if (TestProvider.Requested == ExecutionProvider.Cuda)
            return; // on a CUDA machine Auto takes CUDA: there is no fallback to see
        var log = new RecordingLogger();
        var cuda = Read((CudaOptions.DeviceSetting, "1"), (CudaOptions.ParitySetting, "true"));
        var factory = new OnnxSessionFactory(ExecutionProvider.Auto, log, cuda);

        Assert.Equal(ExecutionProvider.Cpu, factory.Settle());

        Assert.NotNull(factory.FallbackReason);
        var line = Assert.Single(log.Lines, l => l.Contains("CPU", StringComparison.Ordinal));
        Assert.Contains(
            "CUDA options not used: arena_extend_strategy=kSameAsRequested, cudnn_conv_algo_search=HEURISTIC, "
                + "device_id=1, use_tf32=0",
            line
        );
    }

    [Fact]
    public void Without_cuda_the_default_options_fall_back_without_naming_any()
    {
        if (TestProvider.Requested == ExecutionProvider.Cuda)
            return;
        var log = new RecordingLogger();

        Assert.Equal(ExecutionProvider.Cpu, new OnnxSessionFactory(ExecutionProvider.Auto, log).Settle());

        Assert.DoesNotContain(log.Lines, l => l.Contains("not used", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l =>
            l.StartsWith("Execution provider: CPU", StringComparison.Ordinal)
            || l.StartsWith("CUDA execution provider unavailable, falling back to CPU", StringComparison.Ordinal)
        );
    }

    [Fact]
    public void Cuda_required_where_it_cannot_load_fails_as_a_permanent_failure_whatever_the_options()
    {
        if (TestProvider.Requested == ExecutionProvider.Cuda)
            return;
        var factory = new OnnxSessionFactory(ExecutionProvider.Cuda, cuda: Read((CudaOptions.DeviceSetting, "3")));

        var error = Assert.Throws<Pix2PixZeroException>(() => factory.Settle());

        Assert.Equal(FailureKind.Permanent, error.Kind);
        Assert.Contains("CUDA execution provider", error.Message);
    }
}
