using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions.Tests;

/// <summary>
/// The app's folders form layers (DESIGN.md §3): each uses only the ones below it, so a trigger can be read without
/// the storage code, an activity without the HTTP code, and settings and the model host stand on nothing of the app.
/// Read from the built assembly's IL (<see cref="FolderGraph"/>).
/// </summary>
public class LayeringTests
{
    /// <summary>Top to bottom; "" is the composition root beside Program.cs (the registrations).</summary>
    private static readonly string[] Layers =
    [
        "",
        "Web",
        "Triggers",
        "Requests",
        "Orchestrations",
        "GpuStages",
        "Activities",
        "Storage",
        "Hosting",
    ];

    private static readonly FolderGraph App = FolderGraph.Read(typeof(AppSettings).Assembly, "Pix2PixZero.Functions");

    [Fact]
    public void Every_folder_has_a_place_in_the_layers()
    {
        Assert.Empty(App.Folders.Except(Layers));
    }

    [Fact]
    public void Each_folder_uses_only_the_folders_below_it()
    {
        var upward = App.Dependencies.Where(d => Array.IndexOf(Layers, d.From) > Array.IndexOf(Layers, d.To)).ToList();

        Assert.True(
            upward.Count == 0,
            "a folder uses one above it in the layers ("
                + string.Join(" → ", Layers.Select(FolderDependency.Name))
                + "): "
                + string.Join("; ", upward)
        );
    }

    [Fact]
    public void The_graph_holds_what_method_bodies_and_signatures_use()
    {
        // Without these the layer test would pass on an empty graph: the edit orchestrator calls the activities, and
        // the activities wrap their failures in a method body.
        Assert.Contains(App.Dependencies, d => d.From == "Orchestrations" && d.To == "Activities");
        Assert.Contains(App.Dependencies, d => d.From == "Triggers" && d.To == "Storage");
        Assert.Contains(App.Dependencies, d => d.From == "" && d.To == "Triggers");
    }
}
