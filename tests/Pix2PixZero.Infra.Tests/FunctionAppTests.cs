using System.Text.Json.Nodes;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class FunctionAppTests(InfraFixture infra)
{
    private static DeployedResource AppIn(ArmDeployment deployment) =>
        deployment.OfType("Microsoft.App/containerApps").Single(a => a.Module == "function-app");

    private DeployedResource App => AppIn(infra.Deployment);

    private DeployedResource Identity =>
        infra.Deployment.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Single();

    private string IdentityClientId => ArmDeployment.Runtime($"reference({Identity.Id}).clientId");

    private JsonNode Container => App.Properties["template"]!["containers"]!.AsArray().Single()!;

    private Dictionary<string, string> Settings =>
        Container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);

    [Fact]
    public void App_is_a_functions_app_running_as_the_user_assigned_identity()
    {
        Assert.Equal("functionapp", (string?)App.Definition["kind"]);
        Assert.Equal("UserAssigned", (string?)App.Definition["identity"]!["type"]);
        var identities = App.Definition["identity"]!["userAssignedIdentities"]!.AsObject().Select(p => p.Key);
        Assert.Equal(Identity.Id, Assert.Single(identities));
    }

    [Fact]
    public void AzureWebJobsStorage_uses_the_managed_identity_and_no_connection_string()
    {
        var settings = Settings;
        var dataAccount = infra
            .Deployment.OfType("Microsoft.Storage/storageAccounts")
            .Single(a => a.Module == "storage");

        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal(dataAccount.Name, settings["AzureWebJobsStorage__accountName"]);
        Assert.Equal(IdentityClientId, settings["AzureWebJobsStorage__clientId"]);
        Assert.Equal(IdentityClientId, settings["AZURE_CLIENT_ID"]);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
    }

    [Fact]
    public void The_hosts_own_start_page_is_off_so_the_site_root_serves_the_apps_web_page()
    {
        Assert.Equal("true", Settings["AzureWebJobsDisableHomepage"]);
    }

    [Fact]
    public void No_setting_or_secret_carries_a_key()
    {
        Assert.Null(App.Properties["configuration"]!["secrets"]);
        Assert.All(Settings, setting =>
        {
            Assert.DoesNotContain(ArmDeployment.Runtime("list")[..^1], setting.Value);
            Assert.DoesNotContain("AccountKey=", setting.Value);
            Assert.DoesNotContain("InstrumentationKey", setting.Value);
        });
        var applicationInsights = infra.Deployment.OfType("Microsoft.Insights/components").Single();
        Assert.Equal(
            ArmDeployment.Runtime($"reference({applicationInsights.Id}).ConnectionString"),
            Settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]
        );
        Assert.Equal(
            $"ClientId={IdentityClientId};Authorization=AAD",
            Settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]
        );
    }

    [Fact]
    public void Image_is_pulled_from_the_registry_with_the_managed_identity()
    {
        var registry = App.Properties["configuration"]!["registries"]!.AsArray().Single()!;
        var deployed = infra.Deployment.OfType("Microsoft.ContainerRegistry/registries").Single();

        Assert.Equal(Identity.Id, (string?)registry["identity"]);
        Assert.Equal(ArmDeployment.Runtime($"reference({deployed.Id}).loginServer"), (string?)registry["server"]);
        Assert.Null(registry["passwordSecretRef"]);
    }

    [Fact]
    public void The_control_plane_runs_on_the_cpu_consumption_profile_and_sends_its_gpu_stages_to_the_queue()
    {
        var environment = infra.Deployment.OfType("Microsoft.App/managedEnvironments").Single();

        Assert.Equal(environment.Id, (string?)App.Properties["environmentId"]);
        var profile = environment.Properties["workloadProfiles"]!
            .AsArray()
            .Single(p => (string?)p!["name"] == (string?)App.Properties["workloadProfileName"])!;
        Assert.Equal("Consumption", (string?)profile["workloadProfileType"]);
        Assert.Null(Container["resources"]!["gpu"]);
        Assert.Equal("Queue", Settings["Pix2PixZero__GpuStages"]);
        Assert.Equal("01:00:00", Settings["Pix2PixZero__GpuStageTimeout"]);
    }

    [Fact]
    public void Function_keys_are_kept_in_blob_storage_and_the_polling_inbox_trigger_is_off()
    {
        // The image runs as a non-root user, which cannot write the host's default secrets folder.
        Assert.Equal("blob", Settings["AzureWebJobsSecretStorageType"]);
        Assert.Equal("true", Settings["AzureWebJobs.EditRequestInbox.Disabled"]);
    }

    [Fact]
    public void Gpu_profile_defaults_to_A100_and_allows_T4()
    {
        var parameter = infra.Main.Parameter("gpuProfileType");

        Assert.Equal("Consumption-GPU-NC24-A100", parameter.GetProperty("defaultValue").GetString());
        Assert.Equal(
            ["Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100"],
            parameter.GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()!).ToArray()
        );
    }

    [Fact]
    public void At_least_one_replica_stays_up_for_durable_on_azure_storage()
    {
        Assert.Equal(1, (int)App.Properties["template"]!["scale"]!["minReplicas"]!);
        Assert.Equal(2, (int)AppIn(infra.Deploy(("minReplicas", 2))).Properties["template"]!["scale"]!["minReplicas"]!);
        Assert.Equal(1, infra.Main.Parameter("minReplicas").GetProperty("minValue").GetInt32());
        Assert.Equal(1, infra.Main.Parameter("minReplicas").GetProperty("defaultValue").GetInt32());
    }

    [Fact]
    public void Container_has_startup_liveness_and_readiness_probes()
    {
        var probes = Container["probes"]!.AsArray().Select(p => (string)p!["type"]!);

        Assert.Equal(["Startup", "Liveness", "Readiness"], probes.ToArray());
    }

    [Fact]
    public void Models_come_from_the_read_write_share_mounted_at_the_model_directory()
    {
        var deployment = infra.Deploy(("modelFolder", "sd-15"), ("modelPull", "sd15"), ("taskHubName", "hub7"));
        var app = AppIn(deployment);
        var container = app.Properties["template"]!["containers"]!.AsArray().Single()!;
        var settings = container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => (string)e!["value"]!);
        var volume = app.Properties["template"]!["volumes"]!.AsArray().Single()!;
        var mount = container["volumeMounts"]!.AsArray().Single()!;
        var environmentStorage = deployment
            .OfType("Microsoft.App/managedEnvironments/storages")
            .Single(s => s.Name.EndsWith($"/{volume["storageName"]}", StringComparison.Ordinal));
        var environment = deployment.OfType("Microsoft.App/managedEnvironments").Single();

        Assert.Equal("AzureFile", (string?)volume["storageType"]);
        Assert.Equal("ReadWrite", (string?)environmentStorage.Properties["azureFile"]!["accessMode"]);
        Assert.Equal($"{environment.Name}/{volume["storageName"]}", environmentStorage.Name);
        Assert.Equal((string?)volume["name"], (string?)mount["volumeName"]);
        Assert.Equal($"{mount["mountPath"]}/sd-15", settings["Pix2PixZero__ModelDirectory"]);
        Assert.Equal("hub7", settings["Pix2PixZero__TaskHub"]);
        Assert.Equal("sd15", settings["Pix2PixZero__ModelPull"]);
    }

    [Fact]
    public void App_carries_the_azd_service_tag_for_the_functions_service()
    {
        Assert.Equal("functions", (string?)App.Definition["tags"]!["azd-service-name"]);
        Assert.Equal(InfraFixture.EnvironmentName, (string?)App.Definition["tags"]!["azd-env-name"]);
    }
}
