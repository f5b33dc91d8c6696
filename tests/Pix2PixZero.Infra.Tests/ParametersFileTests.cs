using System.Text.Json;

namespace Pix2PixZero.Infra.Tests;

[Collection(InfraCollection.Name)]
public sealed class ParametersFileTests(InfraFixture infra)
{
    private static JsonElement FileParameters()
    {
        using var document = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(RepoPaths.Root, "infra", "main.parameters.json"))
        );
        return document.RootElement.GetProperty("parameters").Clone();
    }

    [Fact]
    public void Parameters_file_sets_only_parameters_main_declares_and_every_one_without_a_default()
    {
        var declared = infra.Main.Root.GetProperty("parameters").EnumerateObject().ToList();
        var supplied = FileParameters().EnumerateObject().Select(p => p.Name).ToHashSet();

        Assert.Subset(declared.Select(p => p.Name).ToHashSet(), supplied);
        Assert.Superset(
            declared.Where(p => !p.Value.TryGetProperty("defaultValue", out _)).Select(p => p.Name).ToHashSet(),
            supplied
        );
    }

    [Fact]
    public void Gpu_profile_is_chosen_through_the_azd_environment_with_A100_as_fallback()
    {
        Assert.Equal(
            "${AZURE_GPU_PROFILE=Consumption-GPU-NC24-A100}",
            FileParameters().GetProperty("gpuProfileType").GetProperty("value").GetString()
        );
    }
}
