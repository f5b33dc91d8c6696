namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class RoleAssignmentTests(InfraFixture infra)
{
    private const string RoleAssignmentType = "Microsoft.Authorization/roleAssignments";

    // Built-in role definition IDs (Azure built-in roles reference).
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string AcrPull = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    private ArmDeployment Deployment => infra.Deployment;

    private IReadOnlyList<DeployedResource> Assignments => Deployment.OfType(RoleAssignmentType).ToList();

    private DeployedResource DataAccount =>
        Deployment.OfType("Microsoft.Storage/storageAccounts").Single(a => a.Module == "storage");

    private DeployedResource Identity => Deployment.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Single();

    [Fact]
    public void Every_role_assignment_is_scoped_to_a_single_deployed_resource()
    {
        Assert.NotEmpty(Assignments);
        Assert.All(Assignments, assignment =>
        {
            Assert.NotNull(assignment.Scope);
            Assert.DoesNotContain(Deployment.OfType("Microsoft.Resources/resourceGroups"), group =>
                group.Id == assignment.Scope
            );
            Deployment.ById(assignment.Scope);
        });
    }

    [Fact]
    public void No_role_assignment_is_declared_at_subscription_or_resource_group_level_of_main()
    {
        Assert.DoesNotContain(Assignments, a => a.Module.Length == 0);
    }

    [Fact]
    public void Identity_gets_exactly_the_data_plane_roles_it_needs_on_the_resource_each_applies_to()
    {
        var dataAccount = DataAccount.Id;
        var registry = Deployment.OfType("Microsoft.ContainerRegistry/registries").Single().Id;
        var applicationInsights = Deployment.OfType("Microsoft.Insights/components").Single().Id;
        var granted = Assignments.Select(a => (Scope: Deployment.ById(a.Scope!).Id, Role: RoleId(a))).ToHashSet();

        Assert.Equal(
            new HashSet<(string, string)>
            {
                (dataAccount, StorageBlobDataOwner),
                (dataAccount, StorageQueueDataContributor),
                (dataAccount, StorageTableDataContributor),
                (registry, AcrPull),
                (applicationInsights, MonitoringMetricsPublisher),
            },
            granted
        );
    }

    [Fact]
    public void Data_roles_are_granted_on_the_data_account_not_the_model_account()
    {
        var storageScopes = Assignments
            .Select(a => Deployment.ById(a.Scope!))
            .Where(scope => scope.Type == "Microsoft.Storage/storageAccounts");

        Assert.All(storageScopes, scope => Assert.Equal(DataAccount.Id, scope.Id));
    }

    [Fact]
    public void Every_role_assignment_targets_the_managed_identity_as_a_service_principal()
    {
        Assert.All(Assignments, assignment =>
        {
            Assert.Equal("ServicePrincipal", (string?)assignment.Properties["principalType"]);
            Assert.Equal(
                ArmDeployment.Runtime($"reference({Identity.Id}).principalId"),
                (string?)assignment.Properties["principalId"]
            );
        });
    }

    [Fact]
    public void Every_role_assignment_has_its_own_name()
    {
        Assert.Equal(Assignments.Count, Assignments.Select(a => a.Name).Distinct().Count());
    }

    /// <summary>The built-in role an assignment grants: the GUID of a subscription-level role definition ID.</summary>
    private static string RoleId(DeployedResource assignment)
    {
        const string prefix =
            $"/subscriptions/{ArmDeployment.SubscriptionId}/providers/Microsoft.Authorization/roleDefinitions/";
        var id = (string)assignment.Properties["roleDefinitionId"]!;
        Assert.StartsWith(prefix, id);
        return id[prefix.Length..];
    }
}
