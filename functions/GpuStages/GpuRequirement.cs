using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// With <see cref="AppSettings.RequireGpu"/> set, the worker loads the CUDA provider as it starts and refuses to start
/// (a logged reason, a failed start) when it does not load: the alternative is model work silently on the CPU of a
/// billed GPU replica, which is what <see cref="ExecutionProvider.Auto"/> would do.
/// </summary>
public sealed class GpuRequirement(AppSettings settings, ILoggerFactory loggers) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!settings.RequireGpu)
            return Task.CompletedTask;
        var log = loggers.CreateLogger<GpuRequirement>();
        try
        {
            new OnnxSessionFactory(
                ExecutionProvider.Cuda,
                loggers.CreateLogger("Pix2PixZero.Onnx"),
                settings.Cuda
            ).Settle();
            log.LogInformation("CUDA loads: model work runs on the GPU");
            return Task.CompletedTask;
        }
        catch (Pix2PixZeroException e)
        {
            var reason =
                $"{AppSettings.SettingName(nameof(AppSettings.RequireGpu))} is true and {e.Message} This worker "
                + "does not start rather than run the model on a GPU replica's CPU: check the image's CUDA libraries "
                + "against the host's driver (worker/Dockerfile), or unset the setting to allow the CPU.";
            log.LogCritical("{Reason}", reason);
            throw new InvalidOperationException(reason, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
