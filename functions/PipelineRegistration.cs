using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.GpuStages;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Triggers;
using Pix2PixZero.Functions.Web;

namespace Pix2PixZero.Functions;

/// <summary>
/// The one place that wires the pipeline: its services, and its orchestrators and activities. The Functions app
/// (Program.cs) and the tests' Durable Task hosts both call these, so they run exactly the same classes.
/// </summary>
public static class PipelineRegistration
{
    public static IServiceCollection AddPipelineServices(this IServiceCollection services, IConfiguration configuration)
    {
        // Bound from the configuration given (the tests' hosts pass their own), checked when the host starts.
        services
            .AddOptions<AppSettings>()
            .Bind(configuration.GetSection(AppSettings.Section))
            .ValidatedAtStart(settings => settings.Validate());
        services
            .AddOptions<ModelSettings>()
            .Bind(configuration.GetSection(AppSettings.Section))
            .PostConfigure(settings => settings.UseHubFallbacks(configuration))
            .ValidatedAtStart(settings => settings.ToProvisioning());
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<AppSettings>>().Value);
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<ModelSettings>>().Value.ToProvisioning());
        services.TryAddSingleton(_ => StorageConnection.CreateBlobService(configuration));
        services.TryAddSingleton(sp => new PipelineBlobs(sp.GetRequiredService<BlobServiceClient>()));
        services.TryAddSingleton(_ => StorageConnection.CreateQueueService(configuration));
        services.TryAddSingleton(sp => new StorageQueues(sp.GetRequiredService<QueueServiceClient>()));
        services.TryAddSingleton<StageCompletionRelay>();
        services.TryAddSingleton<InboxEvents>();
        services.TryAddSingleton<ModelHost>();
        services.AddHostedService<ModelStartup>();
        services.TryAddSingleton<WordMeanBlobs>();
        services.TryAddSingleton<InboxSubmission>();
        services.TryAddSingleton<EditsApi>();
        services.TryAddSingleton<DirectionsApi>();
        services.TryAddSingleton<WebPage>();
        return services;
    }

    public static void AddPipelineTasks(DurableTaskRegistry tasks)
    {
        tasks.AddOrchestrator<EditOrchestrator>();
        tasks.AddOrchestrator<DirectionOrchestrator>();
        tasks.AddActivity<PrepareImageActivity>();
        tasks.AddActivity<CaptionActivity>();
        tasks.AddActivity<WordMeanActivity>();
        tasks.AddActivity<InvertActivity>();
        tasks.AddActivity<EditActivity>();
        tasks.AddActivity<PublishActivity>();
        tasks.AddActivity<RecordFailureActivity>();
        tasks.AddActivity<EnqueueStageActivity>();
    }

    internal static void ValidatedAtStart<TSettings>(this OptionsBuilder<TSettings> options, Action<TSettings> validate)
        where TSettings : class
    {
        options.Services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<TSettings>>(new SettingsValidator<TSettings>(validate))
        );
        options.ValidateOnStart();
    }
}
