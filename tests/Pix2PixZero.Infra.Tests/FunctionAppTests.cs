using System.Text.Json;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class FunctionAppTests(InfraFixture infra)
{
    private const string IdentityReference = "resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', parameters('identityName'))";

    private ArmResource App => infra.Main.ResourcesOfType("Microsoft.App/containerApps").Single();

    private JsonElement Container => App.Properties.GetProperty("template").GetProperty("containers").EnumerateArray().Single();

    private Dictionary<string, string> Settings => Container.GetProperty("env").EnumerateArray()
        .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString()!);

    [Fact]
    public void App_is_a_functions_app_running_as_the_user_assigned_identity()
    {
        Assert.Equal("functionapp", App.StringAt("kind"));
        Assert.Equal("UserAssigned", App.StringAt("identity", "type"));
        var identities = App.Definition.GetProperty("identity").GetProperty("userAssignedIdentities").EnumerateObject().ToList();
        Assert.Contains(IdentityReference, Assert.Single(identities).Name);
    }

    [Fact]
    public void AzureWebJobsStorage_uses_the_managed_identity_and_no_connection_string()
    {
        var settings = Settings;

        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.Equal("[parameters('storageAccountName')]", settings["AzureWebJobsStorage__accountName"]);
        Assert.Equal($"[reference({IdentityReference}, '2023-01-31').clientId]", settings["AzureWebJobsStorage__clientId"]);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.Equal("[variables('names').storage]", infra.Main.ModuleParameterValue("function-app", "storageAccountName"));
        Assert.Equal("[variables('names').storage]", infra.Main.ModuleParameterValue("storage", "name"));
    }

    [Fact]
    public void No_setting_or_secret_carries_a_key()
    {
        Assert.False(App.Properties.GetProperty("configuration").TryGetProperty("secrets", out _));
        Assert.All(Settings, setting =>
        {
            Assert.DoesNotContain("listKeys", setting.Value);
            Assert.DoesNotContain("AccountKey=", setting.Value);
            Assert.DoesNotContain("InstrumentationKey", setting.Value);
        });
        Assert.Equal("[format('ClientId={0};Authorization=AAD', reference(" + IdentityReference + ", '2023-01-31').clientId)]",
            Settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    }

    [Fact]
    public void Image_is_pulled_with_the_managed_identity()
    {
        var registry = App.Properties.GetProperty("configuration").GetProperty("registries").EnumerateArray().Single();

        Assert.Equal($"[{IdentityReference}]", registry.GetProperty("identity").GetString());
        Assert.False(registry.TryGetProperty("passwordSecretRef", out _));
    }

    [Fact]
    public void Workload_profile_is_a_parameter_driven_by_the_gpu_profile_type()
    {
        Assert.Equal("[parameters('workloadProfileName')]", App.StringAt("properties", "workloadProfileName"));
        Assert.Equal("[variables('gpuProfile').name]", infra.Main.ModuleParameterValue("function-app", "workloadProfileName"));
        Assert.Equal("[variables('gpuProfiles')[parameters('gpuProfileType')]]", infra.Main.Variable("gpuProfile").GetString());
        Assert.Equal(
            infra.Main.Parameter("gpuProfileType").GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()!).ToHashSet(),
            infra.Main.Variable("gpuProfiles").EnumerateObject().Select(p => p.Name).ToHashSet());
        Assert.Equal("[variables('gpuProfile').name]", infra.Main.ModuleParameterValue("container-apps-environment", "gpuProfileName"));
        Assert.Equal("[parameters('gpuProfileType')]", infra.Main.ModuleParameterValue("container-apps-environment", "gpuProfileType"));

        var environment = infra.Main.ResourcesOfType("Microsoft.App/managedEnvironments").Single();
        var profileTypes = environment.Properties.GetProperty("workloadProfiles").EnumerateArray()
            .Select(p => p.GetProperty("workloadProfileType").GetString());
        Assert.Contains("[parameters('gpuProfileType')]", profileTypes);
        Assert.Contains("[parameters('gpuProfileName')]", environment.Properties.GetProperty("workloadProfiles").EnumerateArray()
            .Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public void Gpu_profile_defaults_to_A100_and_allows_T4()
    {
        var parameter = infra.Main.Parameter("gpuProfileType");

        Assert.Equal("Consumption-GPU-NC24-A100", parameter.GetProperty("defaultValue").GetString());
        Assert.Equal(
            ["Consumption-GPU-NC8as-T4", "Consumption-GPU-NC24-A100"],
            parameter.GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString()!).ToArray());
    }

    [Fact]
    public void At_least_one_replica_stays_up_for_durable_on_azure_storage()
    {
        Assert.Equal("[parameters('minReplicas')]",
            App.Properties.GetProperty("template").GetProperty("scale").GetProperty("minReplicas").GetString());
        Assert.Equal(1, infra.Main.Parameter("minReplicas").GetProperty("minValue").GetInt32());
        Assert.Equal(1, infra.Main.Parameter("minReplicas").GetProperty("defaultValue").GetInt32());
        Assert.Equal(1, App.Template.Parameter("minReplicas").GetProperty("minValue").GetInt32());
    }

    [Fact]
    public void Container_has_startup_liveness_and_readiness_probes()
    {
        var probes = Container.GetProperty("probes").EnumerateArray().Select(p => p.GetProperty("type").GetString()!);

        Assert.Equal(["Startup", "Liveness", "Readiness"], probes.ToArray());
    }

    [Fact]
    public void Models_come_from_the_share_mounted_at_the_model_directory()
    {
        var volume = App.Properties.GetProperty("template").GetProperty("volumes").EnumerateArray().Single();
        var mount = Container.GetProperty("volumeMounts").EnumerateArray().Single();

        Assert.Equal("AzureFile", volume.GetProperty("storageType").GetString());
        Assert.Equal("[parameters('modelStorageName')]", volume.GetProperty("storageName").GetString());
        Assert.Equal(volume.GetProperty("name").GetString(), mount.GetProperty("volumeName").GetString());
        Assert.Equal("[variables('modelMountPath')]", mount.GetProperty("mountPath").GetString());
        Assert.Equal("[format('{0}/{1}', variables('modelMountPath'), parameters('modelFolder'))]", Settings["Pix2PixZero__ModelDirectory"]);
        Assert.Equal("[parameters('taskHubName')]", Settings["Pix2PixZero__TaskHub"]);
        Assert.Equal("[parameters('modelPull')]", Settings["Pix2PixZero__ModelPull"]);
        Assert.Equal(infra.Main.ModuleParameterValue("model-share", "environmentStorageName"),
            infra.Main.ModuleParameterValue("function-app", "modelStorageName"));
    }

    [Fact]
    public void App_carries_the_azd_service_tag_for_the_functions_service()
    {
        Assert.Contains("'azd-service-name', parameters('serviceName')", App.StringAt("tags"));
        Assert.Equal("[variables('serviceName')]", infra.Main.ModuleParameterValue("function-app", "serviceName"));
        Assert.Equal("functions", infra.Main.Variable("serviceName").GetString());
    }
}
