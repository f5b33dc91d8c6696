using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// The execution provider the tiny-model parity tests run on: the CPU, unless <c>PIX2PIXZERO_TEST_PROVIDER=cuda</c>
/// (scripts/gpu-check.sh sets it on a <c>-p:Gpu=true</c> build). CUDA asked for and not loading fails those tests with
/// the session factory's reason, rather than running them on the CPU unnoticed.
/// </summary>
public static class TestProvider
{
    public const string Variable = "PIX2PIXZERO_TEST_PROVIDER";

    public static ExecutionProvider Requested { get; } = Parse(Environment.GetEnvironmentVariable(Variable));

    /// <summary>A factory on the provider asked for; on CUDA in parity mode (TF32 off), as goldens need.</summary>
    public static OnnxSessionFactory NewFactory() => new(Requested, cuda: new CudaOptions { Parity = true });

    private static ExecutionProvider Parse(string? value) =>
        string.IsNullOrEmpty(value) ? ExecutionProvider.Cpu
        : Enum.TryParse<ExecutionProvider>(value, ignoreCase: true, out var provider) && Enum.IsDefined(provider)
            ? provider
        : throw new InvalidOperationException(
            $"{Variable}={value} is not a provider; use cpu or cuda (or leave it unset for cpu)"
        );
}
