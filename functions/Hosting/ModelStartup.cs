using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pix2PixZero.Functions.Hosting;

/// <summary>
/// Starts loading the model (pulling it first, when the settings ask) as the worker starts, so the first request does
/// not pay for it. The host does not wait: a multi-GB pull outlasts any start-up probe, and activities wait for the
/// load themselves (<see cref="ModelHost.EnterAsync"/>).
/// </summary>
public sealed class ModelStartup(ModelHost model, ILogger<ModelStartup> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = model
            .LoadAsync(CancellationToken.None)
            .ContinueWith(
                failed =>
                    log.LogError(
                        failed.Exception?.GetBaseException(),
                        "The model could not be loaded; the next model activity tries again"
                    ),
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default
            );
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
