using Pix2PixZero.Core.Captioning;
using Pix2PixZero.Core.Graph;

namespace Pix2PixZero.Core.Bundles;

/// <summary>Which files of a repository a bundle takes, and which of the required ones the repository lacks.</summary>
public sealed record BundleFileSelection(IReadOnlyList<string> Files, IReadOnlyList<string> Missing);

/// <summary>
/// The files of a model bundle (DESIGN.md §3), as repository paths with '/' separators: what the validator checks
/// and what <c>models pull</c> downloads. Real SD 1.x ONNX repositories hold more than a bundle needs
/// (safety_checker/, feature_extractor/, fp16 variants such as model_fp16.onnx): only the files named here are taken.
/// </summary>
public static class BundleLayout
{
    public const string ModelIndex = "model_index.json";
    public const string SchedulerConfig = "scheduler/scheduler_config.json";
    public const string TokenizerVocab = "tokenizer/vocab.json";
    public const string TokenizerMerges = "tokenizer/merges.txt";
    public const string GraphFileName = "model.onnx";
    public const string ComponentConfigName = "config.json";

    /// <summary>
    /// External-weights file names next to a graph: diffusers' converter writes <c>weights.pb</c>
    /// (CompVis/stable-diffusion-v1-4@onnx, onnx-community/stable-diffusion-v1-5-ONNX); torch.onnx and optimum write
    /// <c>model.onnx_data</c>. Whatever a graph actually references is checked by <see cref="ModelBundleValidator"/>.
    /// </summary>
    public static IReadOnlyList<string> ExternalWeightsNames { get; } =
    ["weights.pb", "model.onnx_data", "model.onnx.data"];

    /// <summary>
    /// Files the software writes into a bundle: the compiled guidance graphs and their manifest beside the UNet (when
    /// the folder takes writes). Derived from the bundle's own files, so never copied or served as its content.
    /// </summary>
    public static IReadOnlyList<string> GeneratedFileNames { get; } =
    [GuidanceGraphCompiler.AttentionProbeFile, GuidanceGraphCompiler.GuidanceFile, GuidanceGraphCompiler.ManifestFile];

    public static IReadOnlyList<string> OptionalTokenizerFiles { get; } =
    ["tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json"];

    public static string Graph(string component) => $"{component}/{GraphFileName}";

    public static IReadOnlyList<string> RequiredFiles { get; } =
    [ModelIndex, SchedulerConfig, TokenizerVocab, TokenizerMerges, .. BundleComponent.Graphs.Select(Graph)];

    /// <summary>
    /// The Hugging Face cache repository folder (<c>models--{owner}--{repo}</c>) that holds
    /// <paramref name="directory"/>, when it is a snapshot (<c>…/snapshots/{commit}</c>) or a folder inside one; null
    /// otherwise. A snapshot's files are links into that repository's <c>blobs/</c>.
    /// </summary>
    public static string? HubCacheRepository(string directory)
    {
        for (
            var folder = new DirectoryInfo(directory);
            folder?.Parent?.Parent is { } repository;
            folder = folder.Parent
        )
            if (folder.Parent.Name == "snapshots" && repository.Name.StartsWith("models--", StringComparison.Ordinal))
                return repository.FullName;
        return null;
    }

    /// <summary>The local path of a repository path inside <paramref name="root"/>.</summary>
    public static string LocalPath(string root, string repositoryPath) =>
        Path.Combine(root, repositoryPath.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The bundle's files among a repository's files: the required ones, the optional tokenizer and component
    /// configs, the graphs' external weights, and the <c>captioner/</c> files a repository has (the validator then
    /// checks that they are complete).</summary>
    public static BundleFileSelection Select(IEnumerable<string> repositoryFiles)
    {
        var available = new HashSet<string>(repositoryFiles, StringComparer.Ordinal);
        var wanted = new List<string>(RequiredFiles);
        wanted.AddRange(OptionalTokenizerFiles);
        foreach (var component in BundleComponent.Graphs)
        {
            wanted.Add($"{component}/{ComponentConfigName}");
            wanted.AddRange(ExternalWeightsNames.Select(name => $"{component}/{name}"));
        }
        wanted.AddRange(BlipCaptioner.RequiredFiles.Select(name => $"{BundleComponent.Captioner}/{name}"));
        return new BundleFileSelection(
            wanted.Where(available.Contains).ToList(),
            RequiredFiles.Where(f => !available.Contains(f)).ToList()
        );
    }
}
