using System.Text.Json;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class StorageTests(InfraFixture infra)
{
    private IReadOnlyList<ArmResource> Accounts => infra.Main.ResourcesOfType("Microsoft.Storage/storageAccounts").ToList();

    private ArmResource DataAccount => Accounts.Single(a => a.Module == "storage");

    [Fact]
    public void No_storage_account_allows_public_blob_access_or_plain_http_or_tls_below_1_2()
    {
        Assert.NotEmpty(Accounts);
        Assert.All(Accounts, account =>
        {
            Assert.Equal(JsonValueKind.False, account.Properties.GetProperty("allowBlobPublicAccess").ValueKind);
            Assert.Equal(JsonValueKind.True, account.Properties.GetProperty("supportsHttpsTrafficOnly").ValueKind);
            Assert.Equal("TLS1_2", account.Properties.GetProperty("minimumTlsVersion").GetString());
        });
    }

    [Fact]
    public void Data_account_accepts_only_entra_id_auth()
    {
        Assert.Equal(JsonValueKind.False, DataAccount.Properties.GetProperty("allowSharedKeyAccess").ValueKind);
        Assert.Equal(JsonValueKind.True, DataAccount.Properties.GetProperty("defaultToOAuthAuthentication").ValueKind);
    }

    [Fact]
    public void Only_the_model_share_account_keeps_shared_keys_because_the_azure_files_mount_needs_them()
    {
        var withSharedKeys = Accounts
            .Where(a => !a.Properties.TryGetProperty("allowSharedKeyAccess", out var allowed) || allowed.ValueKind != JsonValueKind.False)
            .Select(a => a.Module)
            .ToList();

        Assert.Equal(["model-share"], withSharedKeys);
    }

    [Fact]
    public void Data_account_has_the_four_private_containers()
    {
        var containers = infra.Main.ResourcesOfType("Microsoft.Storage/storageAccounts/blobServices/containers").Single();
        var names = containers.Template.Variable("containerNames").EnumerateArray().Select(n => n.GetString()!).ToList();

        // The work container's name is shared with the lifecycle rule through a variable.
        Assert.Equal(["edit-requests", "edit-results", "directions", "[variables('workContainerName')]"], names);
        Assert.Equal("work", containers.Template.Variable("workContainerName").GetString());
        Assert.Equal("None", containers.StringAt("properties", "publicAccess"));
    }

    [Fact]
    public void Lifecycle_rule_deletes_work_files_after_the_configured_number_of_days()
    {
        var policy = infra.Main.ResourcesOfType("Microsoft.Storage/storageAccounts/managementPolicies").Single();
        var rule = policy.Properties.GetProperty("policy").GetProperty("rules").EnumerateArray().Single();
        var definition = rule.GetProperty("definition");

        Assert.Equal("storage", policy.Module);
        Assert.Equal("[format('{0}/', variables('workContainerName'))]",
            definition.GetProperty("filters").GetProperty("prefixMatch").EnumerateArray().Single().GetString());
        Assert.Equal("work", policy.Template.Variable("workContainerName").GetString());
        Assert.Equal("[parameters('workRetentionDays')]",
            definition.GetProperty("actions").GetProperty("baseBlob").GetProperty("delete")
                .GetProperty("daysAfterModificationGreaterThan").GetString());
        Assert.Equal("[parameters('workRetentionDays')]", infra.Main.ModuleParameterValue("storage", "workRetentionDays"));
        Assert.Equal(7, infra.Main.Parameter("workRetentionDays").GetProperty("defaultValue").GetInt32());
    }

    [Fact]
    public void Model_share_is_mounted_writable_for_the_compiled_guidance_graphs_and_first_start_pulls()
    {
        var storage = infra.Main.ResourcesOfType("Microsoft.App/managedEnvironments/storages").Single();
        var azureFile = storage.Properties.GetProperty("azureFile");

        var share = infra.Main.ResourcesOfType("Microsoft.Storage/storageAccounts/fileServices/shares").Single();

        Assert.Equal("ReadWrite", azureFile.GetProperty("accessMode").GetString());
        Assert.Equal("[parameters('shareName')]", azureFile.GetProperty("shareName").GetString());
        Assert.Equal("[format('{0}/{1}/{2}', parameters('accountName'), 'default', parameters('shareName'))]", share.StringAt("name"));
        Assert.Equal(storage.Module, share.Module);
    }
}
