using Pix2PixZero.Core;
using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// The GPU worker's queue settings (section <c>Pix2PixZero</c>, e.g. <c>Pix2PixZero__WorkVisibility</c>), validated
/// when the worker starts.
/// </summary>
public sealed record GpuWorkerSettings
{
    /// <summary>
    /// How long a taken work item stays hidden from other workers; renewed every third of it while its stage runs,
    /// so only a worker that stopped (or crashed) lets it reappear, this long after its last renewal.
    /// </summary>
    public TimeSpan WorkVisibility { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Deliveries after which a work item is poison: its stage stopped a worker every time (crash, out of memory), so
    /// the request fails with that reason instead of taking GPU replicas down forever.
    /// </summary>
    public int MaxDeliveries { get; init; } = 5;

    /// <summary>How often a running stage looks for its request's cancel marker.</summary>
    public TimeSpan CancelPoll { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest wait between two looks at an empty work queue (the waits grow up to it).</summary>
    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromSeconds(5);

    public GpuWorkerSettings Validate()
    {
        Check(nameof(WorkVisibility), WorkVisibility, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "00:05:00");
        Check(nameof(CancelPoll), CancelPoll, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5), "00:00:05");
        Check(nameof(IdlePoll), IdlePoll, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1), "00:00:05");
        if (MaxDeliveries is < 1 or > 100)
            throw new InvalidOptionException(
                AppSettings.SettingName(nameof(MaxDeliveries)),
                MaxDeliveries,
                "use 1..100 (default 5)"
            );
        return this;
    }

    private static void Check(string name, TimeSpan value, TimeSpan min, TimeSpan max, string fallback)
    {
        if (value < min || value > max)
            throw new InvalidOptionException(
                AppSettings.SettingName(name),
                value,
                $"use a duration from {min} to {max} (default {fallback})"
            );
    }
}
