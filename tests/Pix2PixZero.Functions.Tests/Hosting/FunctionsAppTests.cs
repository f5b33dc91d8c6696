using System.Reflection;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Storage;
using static Microsoft.DurableTask.Worker.DurableTaskWorkerWorkItemFilters;

namespace Pix2PixZero.Functions.Tests.Hosting;

/// <summary>
/// What the Functions host will see: the build's functions.metadata, the task registry, host.json, settings.
/// </summary>
public sealed class FunctionsAppTests
{
    private static readonly string AppOutput = typeof(FunctionsAppTests)
        .Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "FunctionsAppOutput")
        .Value!;

    [Fact]
    public void The_build_lists_the_inbox_triggers_the_completion_relay_the_api_routes_and_the_anonymous_page()
    {
        using var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppOutput, "functions.metadata")));
        var functions = metadata
            .RootElement.EnumerateArray()
            .ToDictionary(
                f => f.GetProperty("name").GetString()!,
                f => f.GetProperty("bindings").EnumerateArray().ToList()
            );

        var inbox = Trigger(functions["EditRequestInbox"]);
        Assert.Equal(
            ("blobTrigger", "edit-requests/{task}/{name}", "AzureWebJobsStorage"),
            (
                inbox.GetProperty("type").GetString(),
                inbox.GetProperty("path").GetString(),
                inbox.GetProperty("connection").GetString()
            )
        );
        Assert.Contains(functions["EditRequestInbox"], b => b.GetProperty("type").GetString() == "durableClient");

        // host.json sets no route prefix: these are the paths from the site root.
        var routes = new Dictionary<string, (string Method, string Route, string Auth)>
        {
            ["SubmitEdit"] = ("post", "api/edits", "Function"),
            ["GetEdit"] = ("get", "api/edits/{id}", "Function"),
            ["GetEditResult"] = ("get", "api/edits/{id}/results/{task}", "Function"),
            ["CancelEdit"] = ("post", "api/edits/{id}/cancel", "Function"),
            ["ListDirections"] = ("get", "api/directions", "Function"),
            ["ComputeDirection"] = ("post", "api/directions", "Function"),
            ["GetDirection"] = ("get", "api/directions/{word}", "Function"),
            ["WebPage"] = ("get", "{root:maxlength(0)?}", "Anonymous"),
            ["WebPageAtPath"] = ("get", "app", "Anonymous"),
            ["WebPageAsset"] = ("get", "app/{file}", "Anonymous"),
            ["WebPageExample"] = ("get", "app/examples/{file}", "Anonymous"),
        };
        // Queue triggers: Event Grid's inbox events, and the GPU workers' completions.
        var queues = new Dictionary<string, string>
        {
            ["EditRequestInboxEvents"] = StorageQueues.InboxEvents,
            ["GpuStageCompletion"] = StorageQueues.Completions,
        };
        foreach (var (name, queue) in queues)
        {
            var trigger = Trigger(functions[name]);
            Assert.Equal(
                ("queueTrigger", queue, "AzureWebJobsStorage"),
                (
                    trigger.GetProperty("type").GetString(),
                    trigger.GetProperty("queueName").GetString(),
                    trigger.GetProperty("connection").GetString()
                )
            );
            Assert.Contains(functions[name], b => b.GetProperty("type").GetString() == "durableClient");
        }
        Assert.Equal(routes.Keys.Concat(queues.Keys).Append("EditRequestInbox").Order(), functions.Keys.Order());
        foreach (var (name, (method, route, auth)) in routes)
        {
            var http = Trigger(functions[name]);
            Assert.Equal(
                ("httpTrigger", route, auth),
                (
                    http.GetProperty("type").GetString(),
                    http.GetProperty("route").GetString(),
                    http.GetProperty("authLevel").GetString()
                )
            );
            Assert.Equal([method], http.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        }
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        Assert.Equal(
            "",
            host.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString()
        );

        // The host's own start page would answer "/" instead of the page (azure-functions-host #986, #4638); the
        // local settings turn it off as the Bicep app settings do (infra tests).
        using var local = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "local.settings.example.json"))
        );
        Assert.Equal(
            "true",
            local.RootElement.GetProperty("Values").GetProperty("AzureWebJobsDisableHomepage").GetString()
        );
    }

    [Fact]
    public void Every_orchestrator_and_activity_class_is_registered_for_the_host_to_list()
    {
        var types = typeof(PipelineRegistration)
            .Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true })
            .ToList();
        var orchestrators = types.Where(typeof(ITaskOrchestrator).IsAssignableFrom).Select(t => t.Name).ToList();
        var activities = types.Where(typeof(ITaskActivity).IsAssignableFrom).Select(t => t.Name).ToList();

        Assert.Contains(nameof(EditOrchestrator), orchestrators);
        Assert.Contains(nameof(PublishActivity), activities);
        Assert.Null(Record.Exception(() => WorkerTaking(orchestrators, activities)));
        Assert.Throws<OptionsValidationException>(() => WorkerTaking(orchestrators, [.. activities, "NoSuchActivity"]));
        Assert.Throws<OptionsValidationException>(() => WorkerTaking([.. orchestrators, "NoSuchOrchestrator"], []));
    }

    // A Durable worker told to take work items for task names it has no registered task for refuses to start
    // (UseWorkItemFilters): its options fail validation when the worker reads them.
    private static void WorkerTaking(IEnumerable<string> orchestrators, IEnumerable<string> activities)
    {
        var services = new ServiceCollection();
        services
            .AddDurableTaskWorker()
            .AddTasks(PipelineRegistration.AddPipelineTasks)
            .UseWorkItemFilters(
                new DurableTaskWorkerWorkItemFilters
                {
                    Orchestrations = [.. orchestrators.Select(name => new OrchestrationFilter(name, []))],
                    Activities = [.. activities.Select(name => new ActivityFilter(name, []))],
                }
            );
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<IOptionsMonitor<DurableTaskWorkerWorkItemFilters>>().Get(Options.DefaultName);
    }

    [Fact]
    public void The_app_ships_the_cuda_provider_and_the_tests_run_without_it()
    {
        Assert.True(
            File.Exists(Path.Combine(AppOutput, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so"))
        );
        Assert.Empty(
            Directory.EnumerateFiles(AppContext.BaseDirectory, "*providers_cuda*", SearchOption.AllDirectories)
        );
    }

    [Fact]
    public void Host_json_takes_the_task_hub_from_the_setting_infra_sets_and_bounds_activities_for_one_gpu()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        var durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");
        Assert.Equal("%Pix2PixZero__TaskHub%", durable.GetProperty("hubName").GetString());
        Assert.Equal(
            ("AzureStorage", StorageConnection.Name),
            (
                durable.GetProperty("storageProvider").GetProperty("type").GetString(),
                durable.GetProperty("storageProvider").GetProperty("connectionName").GetString()
            )
        );
        Assert.InRange(
            durable.GetProperty("maxConcurrentActivityFunctions").GetInt32(),
            new AppSettings().ModelConcurrency,
            4
        );
        Assert.Contains(
            "Pix2PixZero__TaskHub",
            File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "modules", "function-app.bicep"))
        );
        Assert.True(File.Exists(Path.Combine(AppOutput, "host.json")));
    }

    [Fact]
    public void The_local_settings_example_names_every_setting_a_local_run_needs()
    {
        using var example = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(RepoPaths.Root, "functions", "local.settings.example.json"))
        );
        var values = example.RootElement.GetProperty("Values");
        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty(StorageConnection.Name).GetString());
        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
        foreach (
            var setting in new[]
            {
                "Pix2PixZero__TaskHub",
                "Pix2PixZero__ModelDirectory",
                "Pix2PixZero__ModelPull",
                "Pix2PixZero__GpuStages",
            }
        )
            Assert.True(values.TryGetProperty(setting, out _), setting);
    }

    private static JsonElement Trigger(List<JsonElement> bindings) =>
        Assert.Single(bindings, b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
}
