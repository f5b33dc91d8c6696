using System.Text.Json;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class StorageTests(InfraFixture infra)
{
    private IReadOnlyList<ArmResource> Accounts =>
        infra.Main.ResourcesOfType("Microsoft.Storage/storageAccounts").ToList();

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
            .Where(a =>
                !a.Properties.TryGetProperty("allowSharedKeyAccess", out var allowed)
                || allowed.ValueKind != JsonValueKind.False
            )
            .Select(a => a.Module)
            .ToList();

        Assert.Equal(["model-share"], withSharedKeys);
    }

    [Fact]
    public void The_data_account_deploys_exactly_the_containers_the_app_uses()
    {
        var account = infra.Deployment.OfType("Microsoft.Storage/storageAccounts").Single(a => a.Module == "storage");
        var containers = infra.Deployment.OfType(ContainerType).Select(c => c.Name).Order(StringComparer.Ordinal);

        Assert.Equal(
            StorageLayout.Containers.Select(c => $"{account.Name}/default/{c}").Order(StringComparer.Ordinal),
            containers
        );
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
        Assert.Equal(7, infra.Main.Parameter("workRetentionDays").GetProperty("defaultValue").GetInt32());
        var deployment = infra.Deploy(("workRetentionDays", 3));
        var account = deployment.OfType("Microsoft.Storage/storageAccounts").Single(a => a.Module == "storage");
        var policy = deployment.OfType("Microsoft.Storage/storageAccounts/managementPolicies").Single();
        var rule = policy.Properties["policy"]!["rules"]!.AsArray().Single()!;
        var definition = rule["definition"]!;

        Assert.Equal($"{account.Name}/default", policy.Name);
        Assert.Equal($"{StorageLayout.Work}/", (string?)definition["filters"]!["prefixMatch"]!.AsArray().Single());
        Assert.Equal(3, (int)definition["actions"]!["baseBlob"]!["delete"]!["daysAfterModificationGreaterThan"]!);
    }

    private const string ContainerType = "Microsoft.Storage/storageAccounts/blobServices/containers";

    [Fact]
    public void Model_share_is_registered_read_write_for_the_control_plane_and_read_only_for_the_gpu_workers()
    {
        var storages = infra.Deployment.OfType("Microsoft.App/managedEnvironments/storages").ToList();
        var share = infra.Deployment.OfType("Microsoft.Storage/storageAccounts/fileServices/shares").Single();
        var account = infra
            .Deployment.OfType("Microsoft.Storage/storageAccounts")
            .Single(a => a.Module == "model-share");

        Assert.Equal(
            ["ReadOnly", "ReadWrite"],
            storages.Select(s => (string)s.Properties["azureFile"]!["accessMode"]!).Order()
        );
        Assert.All(storages, s =>
        {
            Assert.Equal(account.Name, (string?)s.Properties["azureFile"]!["accountName"]);
            Assert.Equal($"{account.Name}/default/{s.Properties["azureFile"]!["shareName"]}", share.Name);
        });
    }

    [Fact]
    public void The_data_account_deploys_exactly_the_queues_the_app_uses()
    {
        var account = infra.Deployment.OfType("Microsoft.Storage/storageAccounts").Single(a => a.Module == "storage");
        var queues = infra
            .Deployment.OfType("Microsoft.Storage/storageAccounts/queueServices/queues")
            .Select(q => q.Name)
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            StorageQueues.Names.Select(q => $"{account.Name}/default/{q}").Order(StringComparer.Ordinal),
            queues
        );
    }

    [Fact]
    public void Event_grid_delivers_the_inbox_containers_blob_created_events_to_the_inbox_events_queue_as_the_identity()
    {
        var account = infra.Deployment.OfType("Microsoft.Storage/storageAccounts").Single(a => a.Module == "storage");
        var identity = infra.Deployment.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Single();
        var topic = infra.Deployment.OfType("Microsoft.EventGrid/systemTopics").Single();
        var subscription = infra.Deployment.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions").Single();
        var delivery = subscription.Properties["deliveryWithResourceIdentity"]!;
        var destination = delivery["destination"]!["properties"]!;

        Assert.Equal(account.Id, (string?)topic.Properties["source"]);
        Assert.Equal(
            [InboxEvents.BlobCreated],
            subscription.Properties["filter"]!["includedEventTypes"]!.AsArray().Select(t => (string)t!)
        );
        Assert.Equal(
            $"/blobServices/default/containers/{StorageLayout.Requests}/blobs/",
            (string?)subscription.Properties["filter"]!["subjectBeginsWith"]
        );
        Assert.Equal("StorageQueue", (string?)delivery["destination"]!["endpointType"]);
        Assert.Equal(
            (account.Id, StorageQueues.InboxEvents),
            ((string?)destination["resourceId"], (string?)destination["queueName"])
        );
        Assert.Equal(identity.Id, (string?)delivery["identity"]!["userAssignedIdentity"]);
        Assert.Null(subscription.Properties["destination"]);
    }
}
