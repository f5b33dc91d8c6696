using System.Text.RegularExpressions;

namespace Pix2PixZero.Core.Hub;

/// <summary>
/// A model repository on the Hugging Face hub at one revision: an alias (<c>sd14</c>, <c>sd15</c>) or
/// <c>owner/repo[@revision]</c>.
/// </summary>
public sealed partial record HubModelReference(string Repository, string Revision, string? Alias = null)
{
    public const string DefaultRevision = "main";

    public static IReadOnlyDictionary<string, HubModelReference> Aliases { get; } =
        new Dictionary<string, HubModelReference>(StringComparer.OrdinalIgnoreCase)
        {
            // The paper's model. diffusers' ONNX export of it lives on the
            // repository's "onnx" branch (weights.pb beside unet/model.onnx).
            ["sd14"] = new("CompVis/stable-diffusion-v1-4", "onnx", "sd14"),
            ["sd15"] = new("onnx-community/stable-diffusion-v1-5-ONNX", DefaultRevision, "sd15"),
        };

    private const string Accepted = "sd14, sd15, or a hub repository as owner/repo or owner/repo@revision";

    /// <summary>Parses a model name; <paramref name="revision"/>, when given, replaces the name's revision.</summary>
    public static HubModelReference Parse(string name, string? revision = null)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new InvalidOptionException("model", name, Accepted);
        name = name.Trim();
        HubModelReference model;
        if (Aliases.TryGetValue(name, out var known))
            model = known;
        else
        {
            var at = name.IndexOf('@');
            var repository = at < 0 ? name : name[..at];
            if (!RepositoryPattern().IsMatch(repository))
                throw new InvalidOptionException("model", name, Accepted);
            model = new HubModelReference(repository, at < 0 ? DefaultRevision : name[(at + 1)..]);
        }
        if (revision is not null)
            model = model with { Revision = revision };
        if (!RevisionPattern().IsMatch(model.Revision) || model.Revision.Contains(".."))
            throw new InvalidOptionException(
                "revision",
                model.Revision,
                "a branch, tag or commit of the repository (e.g. main, onnx, refs/pr/1 or a 40-digit commit)"
            );
        return model;
    }

    /// <summary>
    /// A folder name for the model: its alias, else owner-repo with the revision when it is not main.
    /// </summary>
    public string FolderName =>
        Alias is not null && Aliases.TryGetValue(Alias, out var known) && known.Revision == Revision
            ? Alias
            : Repository.Replace('/', '-') + (Revision == DefaultRevision ? "" : "-" + Revision.Replace('/', '-'));

    public override string ToString() => $"{Repository}@{Revision}";

    // The hub's repository names: letters, digits, '-', '_', '.'; at most 96 characters each side.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")]
    private static partial Regex RevisionPattern();
}
