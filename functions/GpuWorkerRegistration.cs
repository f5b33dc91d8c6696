using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pix2PixZero.Functions.GpuStages;
using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions;

/// <summary>
/// Wires a GPU worker host: the pipeline's services, the CUDA check first (a worker that may not start takes no
/// work), then the <see cref="StageWorker"/> loop. worker/Program.cs and the tests' worker hosts both call this.
/// </summary>
public static class GpuWorkerRegistration
{
    public static IServiceCollection AddGpuWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHostedService<GpuRequirement>();
        services.AddPipelineServices(configuration);
        services
            .AddOptions<GpuWorkerSettings>()
            .Bind(configuration.GetSection(AppSettings.Section))
            .ValidatedAtStart(settings => settings.Validate());
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<GpuWorkerSettings>>().Value);
        services.AddHostedService<StageWorker>();
        return services;
    }
}
