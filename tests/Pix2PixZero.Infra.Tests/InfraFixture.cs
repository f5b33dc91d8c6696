using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pix2PixZero.Infra.Tests;

/// <summary>
/// Installs the Bicep CLI with the repository's own script, compiles infra/main.bicep to ARM JSON and lints every
/// Bicep file under infra/, once for all tests.
/// </summary>
public sealed class InfraFixture : IDisposable
{
    public InfraFixture()
    {
        Bicep = BicepCli.Install();
        InfraDirectory = Path.Combine(RepoPaths.Root, "infra");

        Build = Bicep.Invoke("build", Path.Combine(InfraDirectory, "main.bicep"), "--stdout");
        if (Build.ExitCode != 0)
            throw new InvalidOperationException($"bicep build failed ({Build.ExitCode}):\n{Build.StandardError}");
        Document = JsonDocument.Parse(Build.StandardOutput);
        Main = new ArmTemplate(Document.RootElement);
        Deployment = Deploy();

        // One CLI start for all files: linting them one by one costs seconds per file.
        Lint = Bicep.Invoke("lint", "--pattern", "infra/**/*.bicep", "--diagnostics-format", "sarif");
        LintReport = LintReport.Parse(Lint.StandardOutput);
    }

    public BicepCli Bicep { get; }

    public string InfraDirectory { get; }

    public BicepRun Build { get; }

    public ArmTemplate Main { get; }

    /// <summary>What main deploys with the parameters azd must supply set and every other at its default.</summary>
    public ArmDeployment Deployment { get; }

    public const string EnvironmentName = "p2pz-test";

    public const string Location = "westus3";

    /// <summary>What main deploys with these parameters besides the ones azd must supply.</summary>
    public ArmDeployment Deploy(params (string Name, JsonNode? Value)[] parameters)
    {
        var values = new Dictionary<string, JsonNode?>
        {
            ["environmentName"] = EnvironmentName,
            ["location"] = Location,
        };
        foreach (var (name, value) in parameters)
            values[name] = value;
        return new ArmDeployment(Main, values);
    }

    /// <summary>`bicep lint` over every .bicep file under infra/.</summary>
    public BicepRun Lint { get; }

    public LintReport LintReport { get; }

    public IEnumerable<string> BicepFiles =>
        Directory.EnumerateFiles(InfraDirectory, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    private JsonDocument Document { get; }

    public void Dispose() => Document.Dispose();
}

[CollectionDefinition(Name)]
public sealed class InfraCollection : ICollectionFixture<InfraFixture>
{
    public const string Name = "Compiled infra";
}
