using Microsoft.Extensions.Configuration;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Functions.Hosting;

/// <summary>
/// The app's settings for the worker (configuration section <c>Pix2PixZero</c>, e.g. the app setting
/// <c>Pix2PixZero__ModelConcurrency</c>) with their defaults, validated in one place; the model folder's settings are
/// <see cref="ModelSettings"/>. <see cref="PipelineRegistration"/> binds both and validates them when the app starts.
/// </summary>
public sealed record AppSettings
{
    public const string Section = "Pix2PixZero";
    public const int MaxModelConcurrency = 16;

    /// <summary>
    /// Model activities (caption, directions, inversion, edit) that may run at once in one worker. One GPU per worker
    /// runs one at a time best: concurrent UNet passes only split the device and multiply its memory.
    /// </summary>
    public int ModelConcurrency { get; init; } = 1;

    /// <summary>
    /// Photo shapes (latent height × width) whose attention-probe and guidance sessions a worker keeps for reuse; each
    /// costs memory (README, "Photo sizes"), and a shape not kept pays the sessions' creation again.
    /// </summary>
    public int SessionShapes { get; init; } = Core.Pipeline.GuidanceSessions.DefaultShapes;

    /// <summary>Local cache of word means downloaded from (or computed for) the directions container.</summary>
    public string DirectionCache { get; init; } = Path.Combine(Path.GetTempPath(), "pix2pix-zero", "directions");

    /// <summary>
    /// Where compiled guidance graphs go when the model folder is read-only (core's
    /// <see cref="Core.Graph.GraphCache"/>; default ~/.cache/pix2pix-zero/graphs): a few MB per UNet.
    /// </summary>
    public string GraphCache { get; init; } = Core.Graph.GraphCache.DefaultRoot;

    /// <summary>Largest HTTP request body accepted by <c>POST /api/edits</c> and <c>POST /api/directions</c>.</summary>
    public long MaxRequestBytes { get; init; } = 20L * 1024 * 1024;

    /// <summary>Attempts of an activity that failed for a reason other than bad input (first try included).</summary>
    public int ActivityAttempts { get; init; } = 4;

    /// <summary>Wait before the first retry of a failed activity; doubled before each later one.</summary>
    public TimeSpan FirstRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where the GPU stages (caption, word means, inversion, edit) of the requests this app starts run: in this app
    /// as activities, or on the GPU workers that take them from the work queue.
    /// </summary>
    public StageDispatch GpuStages { get; init; } = StageDispatch.InProcess;

    /// <summary>
    /// How long a request waits for a queued GPU stage to report back (queueing, a GPU replica's cold start and the
    /// stage itself) before it fails.
    /// </summary>
    public TimeSpan GpuStageTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How the requests this app starts run their GPU stages.</summary>
    public GpuStageRouting Gpu => new(GpuStages, GpuStageTimeout);

    /// <summary>
    /// Run model work on CUDA or not at all: a worker with this set refuses to start when the CUDA provider does not
    /// load (the GPU app sets it), instead of computing on the CPU of a billed GPU replica. The CLI keeps
    /// <c>Auto</c>.
    /// </summary>
    public bool RequireGpu { get; init; }

    /// <summary>
    /// The CUDA provider's settings (<c>Pix2PixZero__CudaDevice</c>, <c>__CudaMemoryLimit</c>,
    /// <c>__CudaConvAlgoSearch</c>, <c>__CudaParity</c>) as written, read into <see cref="Cuda"/> by core's rules;
    /// kept as text so that a bad value is refused with what is accepted, not with a conversion error.
    /// </summary>
    [ConfigurationKeyName(CudaOptions.DeviceSetting)]
    public string? CudaDevice { get; init; }

    [ConfigurationKeyName(CudaOptions.MemoryLimitSetting)]
    public string? CudaMemoryLimit { get; init; }

    [ConfigurationKeyName(CudaOptions.ConvAlgoSearchSetting)]
    public string? CudaConvAlgoSearch { get; init; }

    [ConfigurationKeyName(CudaOptions.ParitySetting)]
    public string? CudaParity { get; init; }

    /// <summary>The options every session of this worker runs CUDA with.</summary>
    public CudaOptions Cuda =>
        CudaOptions.Read(
            setting =>
                setting switch
                {
                    CudaOptions.DeviceSetting => CudaDevice,
                    CudaOptions.MemoryLimitSetting => CudaMemoryLimit,
                    CudaOptions.ConvAlgoSearchSetting => CudaConvAlgoSearch,
                    CudaOptions.ParitySetting => CudaParity,
                    _ => throw new ArgumentOutOfRangeException(nameof(setting), setting, "not a CUDA setting"),
                },
            SettingName
        );

    /// <summary>
    /// A setting's name as an app setting or environment variable (<c>Pix2PixZero__ModelConcurrency</c>).
    /// </summary>
    public static string SettingName(string key) => $"{Section}__{key}";

    public AppSettings Validate()
    {
        if (ModelConcurrency is < 1 or > MaxModelConcurrency)
            throw new InvalidOptionException(
                SettingName(nameof(ModelConcurrency)),
                ModelConcurrency,
                $"use 1..{MaxModelConcurrency} (default 1: one model activity at a time per GPU)"
            );
        if (SessionShapes is < 1 or > Core.Runtime.SessionsByShape<int, IDisposable>.MaxCapacity)
            throw new InvalidOptionException(
                SettingName(nameof(SessionShapes)),
                SessionShapes,
                $"use 1..{Core.Runtime.SessionsByShape<int, IDisposable>.MaxCapacity} "
                    + $"(default {Core.Pipeline.GuidanceSessions.DefaultShapes})"
            );
        if (string.IsNullOrWhiteSpace(DirectionCache))
            throw new InvalidOptionException(
                SettingName(nameof(DirectionCache)),
                DirectionCache,
                "name a writable local folder"
            );
        if (string.IsNullOrWhiteSpace(GraphCache))
            throw new InvalidOptionException(SettingName(nameof(GraphCache)), GraphCache, "name a writable folder");
        if (MaxRequestBytes is < 1024 or > 1L << 30)
            throw new InvalidOptionException(
                SettingName(nameof(MaxRequestBytes)),
                MaxRequestBytes,
                "use 1 KiB..1 GiB (default 20 MiB)"
            );
        if (ActivityAttempts is < 1 or > 20)
            throw new InvalidOptionException(
                SettingName(nameof(ActivityAttempts)),
                ActivityAttempts,
                "use 1..20 (default 4)"
            );
        if (FirstRetryInterval <= TimeSpan.Zero || FirstRetryInterval > TimeSpan.FromMinutes(10))
            throw new InvalidOptionException(
                SettingName(nameof(FirstRetryInterval)),
                FirstRetryInterval,
                "use a duration above 0 and at most 00:10:00 (default 00:00:05)"
            );
        if (GpuStageTimeout < TimeSpan.FromSeconds(1) || GpuStageTimeout > TimeSpan.FromDays(1))
            throw new InvalidOptionException(
                SettingName(nameof(GpuStageTimeout)),
                GpuStageTimeout,
                "use a duration from 00:00:01 to 1.00:00:00 (default 01:00:00)"
            );
        _ = Cuda;
        return this;
    }
}
