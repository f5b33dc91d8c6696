using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// A GPU worker as worker/Program.cs builds it (<see cref="GpuWorkerRegistration.AddGpuWorker"/>), in its own host in
/// this process, against Azurite and the tiny model, with short queue timings: a work item reappears two seconds
/// after its worker stopped renewing it.
/// </summary>
public sealed class GpuWorkerHost : IAsyncDisposable
{
    public static readonly IReadOnlyDictionary<string, string?> FastQueues = new Dictionary<string, string?>
    {
        ["WorkVisibility"] = "00:00:02",
        ["CancelPoll"] = "00:00:00.2",
        ["IdlePoll"] = "00:00:00.2",
    };

    private readonly IHost _host;
    private bool _stopped;

    private GpuWorkerHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public ModelHost Model => Services.GetRequiredService<ModelHost>();

    public static IHost Build(
        Azurite storage,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null
    )
    {
        var values = new Dictionary<string, string?>(FastQueues);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            values[key] = value;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        services?.Invoke(builder.Services);
        builder.Services.AddLogging();
        builder.Services.AddGpuWorker(PipelineConfiguration.For(storage, values));
        return builder.Build();
    }

    public static async Task<GpuWorkerHost> StartAsync(
        Azurite storage,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null
    )
    {
        var host = Build(storage, settings, services);
        await host.StartAsync();
        return new GpuWorkerHost(host);
    }

    /// <summary>
    /// Stops the worker now: its running stage is cancelled at its next step and reports nothing, as when the replica
    /// goes away; the work item it held reappears once its visibility timeout passes.
    /// </summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await _host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
            await _host.StopAsync();
        _host.Dispose();
    }
}
