using System.Text.Json;
using System.Text.RegularExpressions;
using Pix2PixZero.Functions.Storage;

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
    public void The_data_account_deploys_exactly_the_containers_the_app_uses()
    {
        var containers = infra.Main.ResourcesOfType(ContainerType).ToList();

        Assert.All(containers, c => Assert.Equal("storage", c.Module));
        Assert.Equal(StorageLayout.Containers.Order(StringComparer.Ordinal), containers.SelectMany(ContainerNames).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_container_is_private()
    {
        var containers = infra.Main.ResourcesOfType(ContainerType).ToList();

        Assert.NotEmpty(containers);
        Assert.All(containers, c => Assert.Equal("None", c.StringAt("properties", "publicAccess")));
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
        Assert.Equal(StorageLayout.Work, policy.Template.Variable("workContainerName").GetString());
        Assert.Equal("[parameters('workRetentionDays')]",
            definition.GetProperty("actions").GetProperty("baseBlob").GetProperty("delete")
                .GetProperty("daysAfterModificationGreaterThan").GetString());
        Assert.Equal("[parameters('workRetentionDays')]", infra.Main.ModuleParameterValue("storage", "workRetentionDays"));
        Assert.Equal(7, infra.Main.Parameter("workRetentionDays").GetProperty("defaultValue").GetInt32());
    }

    private const string ContainerType = "Microsoft.Storage/storageAccounts/blobServices/containers";

    // The names one container resource deploys: a literal last name segment, or a copy loop over a variable whose
    // items are literals or references to other variables. Any other form fails here rather than passing unread.
    private static IEnumerable<string> ContainerNames(ArmResource container)
    {
        var name = container.StringAt("name")!;
        var last = Regex.Match(name, @"^\[format\('\{0\}/\{1\}/\{2\}', parameters\('name'\), 'default', (.+)\)\]$");
        Assert.True(last.Success, $"container name {name} is not account/default/container");
        var expression = last.Groups[1].Value;
        if (Regex.Match(expression, @"^'([^']+)'$") is { Success: true } literal)
            return [literal.Groups[1].Value];
        var loop = Regex.Match(expression, @"^variables\('(\w+)'\)\[copyIndex\(\)\]$");
        Assert.True(loop.Success, $"the test cannot read the container name expression {expression}");
        return container.Template.Variable(loop.Groups[1].Value).EnumerateArray().Select(item => Resolve(container.Template, item.GetString()!)).ToList();
    }

    private static string Resolve(ArmTemplate template, string value)
    {
        if (!value.StartsWith('['))
            return value;
        var reference = Regex.Match(value, @"^\[variables\('(\w+)'\)\]$");
        Assert.True(reference.Success, $"the test cannot read the container name expression {value}");
        return Resolve(template, template.Variable(reference.Groups[1].Value).GetString()!);
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
