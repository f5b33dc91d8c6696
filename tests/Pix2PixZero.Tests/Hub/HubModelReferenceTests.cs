using Pix2PixZero.Core;
using Pix2PixZero.Core.Hub;

namespace Pix2PixZero.Tests.Hub;

public class HubModelReferenceTests
{
    [Theory]
    [InlineData("sd14", "CompVis/stable-diffusion-v1-4", "onnx", "sd14")]
    [InlineData("SD15", "onnx-community/stable-diffusion-v1-5-ONNX", "main", "sd15")]
    [InlineData("owner/repo", "owner/repo", "main", "owner-repo")]
    [InlineData("owner/my.repo_1@fp32", "owner/my.repo_1", "fp32", "owner-my.repo_1-fp32")]
    [InlineData(" owner/repo@refs/pr/3 ", "owner/repo", "refs/pr/3", "owner-repo-refs-pr-3")]
    public void Names_resolve_to_a_repository_revision_and_folder(
        string name,
        string repository,
        string revision,
        string folder
    )
    {
        var model = HubModelReference.Parse(name);
        Assert.Equal((repository, revision, folder), (model.Repository, model.Revision, model.FolderName));
    }

    [Fact]
    public void A_revision_option_replaces_the_names_revision()
    {
        var model = HubModelReference.Parse("sd14", "main");
        Assert.Equal("CompVis/stable-diffusion-v1-4@main", model.ToString());
        Assert.Equal("CompVis-stable-diffusion-v1-4", model.FolderName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("stable-diffusion")]
    [InlineData("a/b/c")]
    [InlineData("https://huggingface.co/owner/repo")]
    [InlineData("owner/re po")]
    public void Other_names_are_refused_with_what_is_accepted(string name)
    {
        var e = Assert.Throws<InvalidOptionException>(() => HubModelReference.Parse(name));
        Assert.Contains("sd14, sd15, or a hub repository as owner/repo", e.Message);
    }

    [Theory]
    [InlineData("owner/repo@")]
    [InlineData("owner/repo@../../etc")]
    [InlineData("owner/repo@a b")]
    public void Bad_revisions_are_refused(string name)
    {
        var e = Assert.Throws<InvalidOptionException>(() => HubModelReference.Parse(name));
        Assert.Equal("revision", e.Option);
    }
}
