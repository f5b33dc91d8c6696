using System.Text.RegularExpressions;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed partial class OutputTests(InfraFixture infra)
{
    [GeneratedRegex("key|secret|password|connectionstring|token|sas", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName { get; }

    // list*() returns keys and SAS tokens; the rest name values that embed a credential.
    [GeneratedRegex(
        @"\blist[A-Za-z]*\(|connectionstring|instrumentationkey|accountkey|sharedkey|"
            + "primarykey|secondarykey|password|secret",
        RegexOptions.IgnoreCase
    )]
    private static partial Regex SecretValue { get; }

    [Fact]
    public void No_output_in_any_template_is_named_like_a_secret()
    {
        var offenders = infra
            .Main.AllTemplates()
            .SelectMany(t => t.Outputs.Select(o => $"{t.Module}:{o.Key}"))
            .Where(name => SecretName.IsMatch(name.Split(':')[1]))
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void No_output_in_any_template_carries_a_key_connection_string_or_list_call()
    {
        var offenders = infra
            .Main.AllTemplates()
            .SelectMany(t =>
                t.Outputs.Select(o => (Name: $"{t.Module}:{o.Key}", Value: o.Value.GetProperty("value").GetRawText()))
            )
            .Where(o => SecretValue.IsMatch(o.Value))
            .Select(o => $"{o.Name} = {o.Value}")
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void No_output_is_a_secure_type()
    {
        var types = infra
            .Main.AllTemplates()
            .SelectMany(t => t.Outputs.Select(o => o.Value.GetProperty("type").GetString()!.ToLowerInvariant()));

        Assert.DoesNotContain("securestring", types);
        Assert.DoesNotContain("secureobject", types);
    }

    [Fact]
    public void Main_outputs_what_azd_needs_to_deploy()
    {
        var names = infra.Main.Outputs.Select(o => o.Key).ToHashSet();

        Assert.Superset(
            new HashSet<string>
            {
                "AZURE_CONTAINER_REGISTRY_ENDPOINT",
                "AZURE_RESOURCE_GROUP",
                "SERVICE_FUNCTIONS_NAME",
                "SERVICE_FUNCTIONS_URI",
                "SERVICE_WORKER_NAME",
                "AZURE_STORAGE_ACCOUNT_NAME",
                "AZURE_MODEL_STORAGE_ACCOUNT_NAME",
                "AZURE_MODEL_SHARE_NAME",
            },
            names
        );
    }
}
