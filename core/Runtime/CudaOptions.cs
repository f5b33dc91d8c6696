using System.Globalization;

namespace Pix2PixZero.Core.Runtime;

/// <summary>How cuDNN picks each convolution's algorithm (ONNX Runtime's <c>cudnn_conv_algo_search</c>).</summary>
public enum CudnnConvAlgoSearch
{
    /// <summary>Times every algorithm on the first run of each convolution shape (ONNX Runtime's default).</summary>
    Exhaustive,

    /// <summary>cuDNN's heuristic: no trial runs, so no slow first run and no trial workspaces.</summary>
    Heuristic,

    /// <summary>One fixed algorithm (implicit precomputed GEMM).</summary>
    Default,
}

/// <summary>
/// The CUDA execution provider's options as a deployment sets them, read and checked in one place. The settings'
/// names are <see cref="Settings"/>; each front end spells them its own way (the app as <c>Pix2PixZero__CudaDevice</c>,
/// the command line as <c>PIX2PIX_ZERO_CUDA_DEVICE</c>). <see cref="ProviderOptions"/> is the one thing the session
/// factory hands to ONNX Runtime.
/// </summary>
public sealed record CudaOptions
{
    public const string DeviceSetting = "CudaDevice";
    public const string MemoryLimitSetting = "CudaMemoryLimit";
    public const string ConvAlgoSearchSetting = "CudaConvAlgoSearch";
    public const string ParitySetting = "CudaParity";

    /// <summary>Every setting, in the order they are documented.</summary>
    public static IReadOnlyList<string> Settings { get; } =
    [DeviceSetting, MemoryLimitSetting, ConvAlgoSearchSetting, ParitySetting];

    /// <summary>The smallest memory limit accepted: less cannot hold cuDNN's handles and a tiny model.</summary>
    public const long MinMemoryLimit = 64L << 20;

    private const int MaxDevice = 255;

    /// <summary>The GPU's index as CUDA counts them (after <c>CUDA_VISIBLE_DEVICES</c>).</summary>
    public int DeviceId { get; init; }

    /// <summary>Bytes the provider's arena may hold (<c>gpu_mem_limit</c>); null leaves it unbounded.</summary>
    public long? MemoryLimit { get; init; }

    /// <summary>
    /// Heuristic by default: exhaustive search times every algorithm with its own workspace on the first run of each
    /// shape, which makes that run several times slower and its memory peak higher — what a replica that scales from
    /// zero pays on every cold start.
    /// </summary>
    public CudnnConvAlgoSearch ConvAlgoSearch { get; init; } = CudnnConvAlgoSearch.Heuristic;

    /// <summary>
    /// Parity mode: TF32 off, so fp32 MatMuls and convolutions keep fp32's 23-bit mantissa (TF32 keeps 10) and a GPU
    /// run can be compared with the CPU and PyTorch goldens; production leaves TF32 on for speed.
    /// </summary>
    public bool Parity { get; init; }

    /// <summary>
    /// The provider options by ONNX Runtime's names. The arena grows by what each allocation asks
    /// (<c>kSameAsRequested</c>), not by doubling: a doubling arena's last chunk can be as large as everything before
    /// it, which at SD's size is gigabytes the edit never uses.
    /// </summary>
    public IReadOnlyDictionary<string, string> ProviderOptions()
    {
        var options = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["device_id"] = DeviceId.ToString(CultureInfo.InvariantCulture),
            ["arena_extend_strategy"] = "kSameAsRequested",
            ["cudnn_conv_algo_search"] = ConvAlgoSearch.ToString().ToUpperInvariant(),
            ["use_tf32"] = Parity ? "0" : "1",
        };
        if (MemoryLimit is { } limit)
            options["gpu_mem_limit"] = limit.ToString(CultureInfo.InvariantCulture);
        return options;
    }

    /// <summary>
    /// The options from settings: <paramref name="value"/> gives a setting's text (null or blank when not set) and
    /// <paramref name="nameOf"/> its name as the user sets it, for the errors.
    /// </summary>
    public static CudaOptions Read(Func<string, string?> value, Func<string, string> nameOf)
    {
        string? Text(string setting) => value(setting) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var options = new CudaOptions();
        if (Text(DeviceSetting) is { } device)
            options = options with
            {
                DeviceId =
                    int.TryParse(device, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id <= MaxDevice
                        ? id
                        : throw new InvalidOptionException(
                            nameOf(DeviceSetting),
                            device,
                            $"use a GPU index 0..{MaxDevice} as CUDA counts them (default 0)"
                        ),
            };
        if (Text(MemoryLimitSetting) is { } limit)
            options = options with
            {
                MemoryLimit =
                    ParseBytes(limit) is { } bytes && bytes >= MinMemoryLimit
                        ? bytes
                        : throw new InvalidOptionException(
                            nameOf(MemoryLimitSetting),
                            limit,
                            "use bytes, or a number with KiB, MiB or GiB (e.g. 12GiB), of at least 64MiB "
                                + "(default: no limit)"
                        ),
            };
        if (Text(ConvAlgoSearchSetting) is { } search)
            options = options with
            {
                ConvAlgoSearch =
                    Enum.TryParse<CudnnConvAlgoSearch>(search, ignoreCase: true, out var s)
                    && Enum.IsDefined(s)
                    && !search.Any(char.IsDigit)
                        ? s
                        : throw new InvalidOptionException(
                            nameOf(ConvAlgoSearchSetting),
                            search,
                            "use Exhaustive, Heuristic or Default (default Heuristic)"
                        ),
            };
        if (Text(ParitySetting) is { } parity)
            options = options with
            {
                Parity = bool.TryParse(parity, out var p)
                    ? p
                    : throw new InvalidOptionException(
                        nameOf(ParitySetting),
                        parity,
                        "use true (TF32 off, for comparing with the CPU) or false (default)"
                    ),
            };
        return options;
    }

    private static long? ParseBytes(string text)
    {
        (string Suffix, int Shift)[] units = [("GiB", 30), ("MiB", 20), ("KiB", 10), ("B", 0)];
        var (number, shift) = (text, 0);
        foreach (var (suffix, unitShift) in units)
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                (number, shift) = (text[..^suffix.Length].TrimEnd(), unitShift);
                break;
            }
        return
            long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && n <= long.MaxValue >> shift
            ? n << shift
            : null;
    }
}
