using System.Text.Json;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class BicepLintTests(InfraFixture infra)
{
    [Fact]
    public void Lint_covers_every_bicep_file_under_infra()
    {
        var files = infra.BicepFiles.Select(f => Path.GetRelativePath(infra.InfraDirectory, f)).ToList();

        Assert.Superset(
            new HashSet<string>
            {
                "main.bicep",
                "modules/identity.bicep",
                "modules/monitoring.bicep",
                "modules/storage.bicep",
                "modules/registry.bicep",
                "modules/container-apps-environment.bicep",
                "modules/model-share.bicep",
                "modules/function-app.bicep",
            },
            files.ToHashSet()
        );
        Assert.Equal(files.Count, infra.LintReport.FilesLinted);
    }

    [Fact]
    public void Every_bicep_file_lints_without_errors_or_warnings()
    {
        Assert.True(infra.Lint.ExitCode == 0, infra.Lint.StandardError);
        Assert.True(infra.LintReport.Findings.Count == 0, string.Join("\n", infra.LintReport.Findings));
        Assert.True(string.IsNullOrWhiteSpace(infra.Lint.StandardError), infra.Lint.StandardError);
    }

    [Fact]
    public void Main_builds_without_diagnostics()
    {
        Assert.Equal(0, infra.Build.ExitCode);
        Assert.True(string.IsNullOrWhiteSpace(infra.Build.StandardError), infra.Build.StandardError);
    }

    [Fact]
    public void Bicepconfig_makes_every_configured_linter_rule_an_error_except_the_date_and_registry_dependent_ones()
    {
        // use-recent-api-versions depends on today's date, use-recent-module-versions on a registry we cannot reach;
        // either would make an unchanged file fail later.
        var offByDesign = new HashSet<string> { "use-recent-api-versions", "use-recent-module-versions" };
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(infra.InfraDirectory, "bicepconfig.json")));
        var core = config.RootElement.GetProperty("analyzers").GetProperty("core");
        var rules = core.GetProperty("rules")
            .EnumerateObject()
            .ToDictionary(r => r.Name, r => r.Value.GetProperty("level").GetString());

        Assert.True(core.GetProperty("enabled").GetBoolean());
        Assert.Contains("outputs-should-not-contain-secrets", rules.Keys);
        Assert.All(rules, rule => Assert.Equal(offByDesign.Contains(rule.Key) ? "off" : "error", rule.Value));
        Assert.Superset(offByDesign, rules.Keys.ToHashSet());
    }
}
