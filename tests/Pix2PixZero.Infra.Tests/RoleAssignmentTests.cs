using System.Text.RegularExpressions;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed partial class RoleAssignmentTests(InfraFixture infra)
{
    private const string RoleAssignmentType = "Microsoft.Authorization/roleAssignments";

    // Built-in role definition IDs (Azure built-in roles reference).
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string AcrPull = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    [GeneratedRegex(@"^\[resourceId\('(?<type>Microsoft\.[A-Za-z]+/[A-Za-z/]+)', parameters\('[A-Za-z]+'\)\)\]$")]
    private static partial Regex ResourceScope { get; }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid { get; }

    [GeneratedRegex(@"variables\('(?<name>[A-Za-z]+)'\)")]
    private static partial Regex VariableReference { get; }

    private IReadOnlyList<ArmResource> Assignments => infra.Main.ResourcesOfType(RoleAssignmentType).ToList();

    [Fact]
    public void Every_role_assignment_is_scoped_to_a_single_resource()
    {
        Assert.NotEmpty(Assignments);
        Assert.All(Assignments, assignment =>
        {
            var scope = assignment.StringAt("scope");
            Assert.NotNull(scope);
            Assert.Matches(ResourceScope, scope);
            Assert.DoesNotContain("subscription()", scope);
            Assert.DoesNotContain("resourceGroup()", scope);
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
        var granted = Assignments
            .SelectMany(a => RoleIds(a).Select(role => (Scope: ScopeType(a), Role: role)))
            .ToHashSet();

        Assert.Equal(
            new HashSet<(string, string)>
            {
                ("Microsoft.Storage/storageAccounts", StorageBlobDataOwner),
                ("Microsoft.Storage/storageAccounts", StorageQueueDataContributor),
                ("Microsoft.Storage/storageAccounts", StorageTableDataContributor),
                ("Microsoft.ContainerRegistry/registries", AcrPull),
                ("Microsoft.Insights/components", MonitoringMetricsPublisher),
            },
            granted);
    }

    [Fact]
    public void Data_roles_are_granted_on_the_data_account_not_the_model_account()
    {
        var storageAssignments = Assignments.Where(a => ScopeType(a) == "Microsoft.Storage/storageAccounts").ToList();

        Assert.All(storageAssignments, a => Assert.Equal("storage", a.Module));
    }

    [Fact]
    public void Every_role_assignment_targets_the_managed_identity_as_a_service_principal()
    {
        Assert.All(Assignments, assignment =>
        {
            Assert.Equal("ServicePrincipal", assignment.StringAt("properties", "principalType"));
            Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", assignment.StringAt("properties", "principalId"));
        });
    }

    private static string ScopeType(ArmResource assignment) =>
        ResourceScope.Match(assignment.StringAt("scope") ?? "").Groups["type"].Value;

    /// <summary>Role IDs an assignment grants: a literal GUID, or the GUIDs in the variable (or variable array) it indexes.</summary>
    private static IEnumerable<string> RoleIds(ArmResource assignment)
    {
        var expression = assignment.StringAt("properties", "roleDefinitionId")!;
        Assert.StartsWith("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ", expression);
        var variable = VariableReference.Match(expression);
        var source = variable.Success
            ? assignment.Template.Variable(variable.Groups["name"].Value).GetRawText()
            : expression;
        return Guid.Matches(source).Select(m => m.Value);
    }
}
