using System.Text.Json.Nodes;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Infra.Tests;

/// <summary>
/// The GPU worker app: on the GPU profile, no replica at idle, scaled from zero on the code's work queue.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class GpuWorkerAppTests(InfraFixture infra)
{
    private static DeployedResource WorkerIn(ArmDeployment deployment) =>
        deployment.OfType("Microsoft.App/containerApps").Single(a => a.Module == "gpu-worker-app");

    private DeployedResource Worker => WorkerIn(infra.Deployment);

    private DeployedResource Identity =>
        infra.Deployment.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Single();

    private JsonNode Container => Worker.Properties["template"]!["containers"]!.AsArray().Single()!;

    private Dictionary<string, string> Settings =>
        Container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);

    private static JsonNode Scale(DeployedResource app) => app.Properties["template"]!["scale"]!;

    [Theory]
    [InlineData("Consumption-GPU-NC24-A100", 24, "220Gi")]
    [InlineData("Consumption-GPU-NC8as-T4", 8, "56Gi")]
    public void The_worker_runs_on_the_chosen_gpu_profile_with_its_whole_replica(string type, int cpu, string memory)
    {
        var deployment = infra.Deploy(("gpuProfileType", type));
        var worker = WorkerIn(deployment);
        var environment = deployment.OfType("Microsoft.App/managedEnvironments").Single();
        var container = worker.Properties["template"]!["containers"]!.AsArray().Single()!;

        Assert.Equal(environment.Id, (string?)worker.Properties["environmentId"]);
        var profile = environment.Properties["workloadProfiles"]!
            .AsArray()
            .Single(p => (string?)p!["name"] == (string?)worker.Properties["workloadProfileName"])!;
        Assert.Equal(type, (string?)profile["workloadProfileType"]);
        Assert.Equal((cpu, memory), ((int)container["resources"]!["cpu"]!, (string)container["resources"]!["memory"]!));
    }

    [Fact]
    public void No_gpu_replica_runs_at_idle_unless_asked_to_keep_one_warm()
    {
        var environment = infra.Deployment.OfType("Microsoft.App/managedEnvironments").Single();
        var gpuProfiles = environment.Properties["workloadProfiles"]!
            .AsArray()
            .Where(p => ((string)p!["workloadProfileType"]!).StartsWith("Consumption-GPU", StringComparison.Ordinal))
            .Select(p => (string)p!["name"]!)
            .ToHashSet();
        var onGpu = infra
            .Deployment.OfType("Microsoft.App/containerApps")
            .Where(a => gpuProfiles.Contains((string)a.Properties["workloadProfileName"]!))
            .ToList();

        Assert.Equal([Worker.Id], onGpu.Select(a => a.Id));
        Assert.Equal(0, (int)Scale(Worker)["minReplicas"]!);
        Assert.Equal(0, infra.Main.Parameter("gpuMinReplicas").GetProperty("minValue").GetInt32());
        Assert.Equal(1, (int)Scale(WorkerIn(infra.Deploy(("gpuMinReplicas", 1))))["minReplicas"]!);
        Assert.Equal(3, (int)Scale(Worker)["maxReplicas"]!);
    }

    [Fact]
    public void The_scale_rule_reads_the_codes_work_queue_as_the_managed_identity_one_item_per_replica()
    {
        var dataAccount = infra
            .Deployment.OfType("Microsoft.Storage/storageAccounts")
            .Single(a => a.Module == "storage");
        var rule = Scale(Worker)["rules"]!.AsArray().Single()!;
        var queue = rule["azureQueue"]!;

        Assert.Equal(StorageQueues.Work, (string?)queue["queueName"]);
        Assert.Equal(dataAccount.Name, (string?)queue["accountName"]);
        Assert.Equal(Identity.Id, (string?)queue["identity"]);
        Assert.Equal(1, (int)queue["queueLength"]!);
        Assert.Null(queue["auth"]);
        Assert.Null(Worker.Properties["configuration"]!["secrets"]);
    }

    [Fact]
    public void The_worker_requires_the_gpu_reads_the_model_share_read_only_and_has_no_ingress()
    {
        var settings = Settings;
        var volume = Worker.Properties["template"]!["volumes"]!.AsArray().Single()!;
        var mount = Container["volumeMounts"]!.AsArray().Single()!;
        var environmentStorage = infra
            .Deployment.OfType("Microsoft.App/managedEnvironments/storages")
            .Single(s => s.Name.EndsWith($"/{volume["storageName"]}", StringComparison.Ordinal));

        Assert.Equal("true", settings["Pix2PixZero__RequireGpu"]);
        Assert.Equal("ReadOnly", (string?)environmentStorage.Properties["azureFile"]!["accessMode"]);
        Assert.Equal($"{mount["mountPath"]}/stable-diffusion-v1-4", settings["Pix2PixZero__ModelDirectory"]);
        Assert.Equal(
            Identity.Id,
            (string?)Worker.Properties["configuration"]!["registries"]!.AsArray()[0]!["identity"]
        );
        Assert.Null(Worker.Properties["configuration"]!["ingress"]);
        Assert.Equal("worker", (string?)Worker.Definition["tags"]!["azd-service-name"]);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Equal(
            ArmDeployment.Runtime($"reference({Identity.Id}).clientId"),
            settings["AzureWebJobsStorage__clientId"]
        );
    }

    [Fact]
    public void The_region_is_one_with_serverless_gpus_and_the_registry_sku_is_a_parameter()
    {
        Assert.Equal(
            ["australiaeast", "swedencentral", "westus3"],
            infra.Main.Parameter("location").GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString())
        );
        var sku = infra.Main.Parameter("registrySku");
        Assert.Equal("Basic", sku.GetProperty("defaultValue").GetString());
        Assert.Equal(
            ["Basic", "Standard", "Premium"],
            sku.GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString())
        );
        var premium = infra
            .Deploy(("registrySku", "Premium"))
            .OfType("Microsoft.ContainerRegistry/registries")
            .Single();
        Assert.Equal("Premium", (string?)premium.Definition["sku"]!["name"]);
    }
}
