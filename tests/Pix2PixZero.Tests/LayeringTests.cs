using Pix2PixZero.Core;

namespace Pix2PixZero.Tests;

/// <summary>
/// Core's folders use each other one way only, so each can be read, tested and changed with what it stands on and
/// nothing above it. Read from the built assembly's IL (<see cref="FolderGraph"/>).
/// </summary>
public class LayeringTests
{
    private static readonly FolderGraph Core = FolderGraph.Read(
        typeof(Pix2PixZeroException).Assembly,
        "Pix2PixZero.Core"
    );

    [Fact]
    public void Cores_folders_form_a_directed_acyclic_graph()
    {
        var cycles = Core.Cycles();

        Assert.True(
            cycles.Count == 0,
            "core's folders use each other in a cycle: " + string.Join(" | ", cycles.Select(FolderGraph.Describe))
        );
    }

    [Fact]
    public void The_root_namespace_of_failure_kinds_and_errors_uses_no_folder()
    {
        Assert.DoesNotContain(Core.Dependencies, d => d.From == "");
    }

    [Fact]
    public void The_graph_holds_what_method_bodies_and_signatures_use()
    {
        // Without these the tests above would pass on an empty graph. The pipeline calls the models; the models throw
        // the root's errors; the captioner's tokenizer is constructed in a method body only.
        Assert.Contains(Core.Dependencies, d => d.From == "Pipeline" && d.To == "Models");
        Assert.Contains(Core.Dependencies, d => d.From == "Models" && d.To == "");
        Assert.Contains(Core.Dependencies, d => d.From == "Bundles" && d.To == "Captioning");
    }
}
