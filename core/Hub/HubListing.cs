namespace Pix2PixZero.Core.Hub;

/// <summary>A repository's files at the commit the revision pointed to when it was listed.</summary>
public sealed record HubListing(HubModelReference Model, string Commit, IReadOnlyList<HubFile> Files)
{
    public HubFile? Find(string path) => Files.FirstOrDefault(f => f.Path == path);
}
