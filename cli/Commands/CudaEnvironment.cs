using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// The command line's CUDA options (core's <see cref="CudaOptions"/>) come from environment variables named after
/// the settings, <c>PIX2PIX_ZERO_CUDA_DEVICE</c>, <c>PIX2PIX_ZERO_CUDA_MEMORY_LIMIT</c>,
/// <c>PIX2PIX_ZERO_CUDA_CONV_ALGO_SEARCH</c> and <c>PIX2PIX_ZERO_CUDA_PARITY</c>: they describe the machine rather
/// than one run, as <c>CUDA_VISIBLE_DEVICES</c> does. They are read once, and a bad value stops the command before a
/// model loads.
/// </summary>
public static partial class CudaEnvironment
{
    private static readonly Lazy<CudaOptions> FromProcess = new(() => Read(Environment.GetEnvironmentVariable));

    /// <summary>This process's options; a bad one throws <see cref="Core.InvalidOptionException"/>.</summary>
    public static CudaOptions Options => FromProcess.Value;

    /// <summary>
    /// The variable that holds <paramref name="setting"/>: <c>CudaMemoryLimit</c> →
    /// <c>PIX2PIX_ZERO_CUDA_MEMORY_LIMIT</c>.
    /// </summary>
    public static string VariableName(string setting) =>
        "PIX2PIX_ZERO_" + WordStart().Replace(setting, "_$1").ToUpperInvariant();

    public static CudaOptions Read(Func<string, string?> variable) =>
        CudaOptions.Read(setting => variable(VariableName(setting)), VariableName);

    /// <summary>The session factory of every command: the provider asked for, with these CUDA options.</summary>
    public static OnnxSessionFactory Factory(ExecutionProvider provider, ILogger? log = null) =>
        new(provider, log, Options);

    [GeneratedRegex("(?<=[a-z])([A-Z])")]
    private static partial Regex WordStart();
}
