using System.Text.Json;
using Google.Protobuf;
using Pix2PixZero.Core.Captioning;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Core.Serialization;
using Pix2PixZero.Core.Tokenizers;

namespace Pix2PixZero.Core.Bundles;

/// <summary>
/// Checks a folder against the diffusers ONNX layout without creating sessions, and reports every problem with
/// the file it concerns: missing or empty files, JSON that does not parse, ONNX files that are not models, external
/// weights that are missing, shorter than the graph says or where ONNX Runtime will not read them, a UNet with fused
/// kernels and a scheduler config the method does not implement. Files reached through symbolic links (the
/// Hugging Face cache's layout) are judged by their final targets, and in a cache snapshot must not leave its
/// repository.
/// </summary>
public static class ModelBundleValidator
{
    // Larger graphs hold their weights inline; parsing them only to look for external data is not worth it.
    private const long ParseLimitBytes = 512L * 1024 * 1024;

    public static IReadOnlyList<ModelBundleException> Validate(string directory)
    {
        var problems = new List<ModelBundleException>();
        if (!Directory.Exists(directory))
        {
            problems.Add(new ModelBundleException(directory, "the model folder does not exist"));
            return problems;
        }
        CheckCacheLinks(directory, problems);
        CheckJson(BundleLayout.LocalPath(directory, BundleLayout.ModelIndex), problems);
        foreach (var component in BundleComponent.Graphs)
            CheckGraph(
                BundleLayout.LocalPath(directory, BundleLayout.Graph(component)),
                component == BundleComponent.Unet,
                problems
            );
        CheckTokenizer(
            BundleLayout.LocalPath(directory, BundleLayout.TokenizerVocab),
            BundleLayout.LocalPath(directory, BundleLayout.TokenizerMerges),
            problems
        );
        var captioner = Path.Combine(directory, BundleComponent.Captioner);
        if (Directory.Exists(captioner))
            problems.AddRange(BlipCaptioner.CheckFolder(captioner));
        var schedulerPath = BundleLayout.LocalPath(directory, BundleLayout.SchedulerConfig);
        if (CheckJson(schedulerPath, problems) is { } schedulerJson)
            Capture(schedulerPath, problems, () => SchedulerConfig.Parse(schedulerJson));
        return problems;
    }

    /// <summary>Parses a graph file, naming the file when it is not an ONNX model.</summary>
    public static ModelProto ReadModel(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var model = ModelProto.Parser.ParseFrom(stream);
            if (model.Graph is null || model.Graph.Node.Count == 0)
                throw new ModelBundleException(path, "the file parses but holds no graph nodes; is it an ONNX model?");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelBundleException(path, $"not an ONNX model ({e.Message})", e);
        }
    }

    private static void CheckGraph(string path, bool unet, List<ModelBundleException> problems)
    {
        if (RequireFile(path, problems) is not { } file || file.Length > ParseLimitBytes)
            return;
        Capture(path, problems, () =>
        {
            var model = ReadModel(path);
            if (unet && FusedOperators.Find(model.Graph) is { } fused)
                problems.Add(new ModelBundleException(path, FusedOperators.Problem(fused)));
            CheckExternalData(path, model, problems);
        });
    }

    private static void CheckExternalData(string modelPath, ModelProto model, List<ModelBundleException> problems)
    {
        var folder = Path.GetDirectoryName(modelPath)!;
        var needed = new Dictionary<string, long>();
        foreach (
            var tensor in model.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External)
        )
        {
            var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            if (!entries.TryGetValue("location", out var location))
            {
                problems.Add(
                    new ModelBundleException(
                        modelPath,
                        $"initializer '{tensor.Name}' is external but names no location"
                    )
                );
                continue;
            }
            var end =
                (entries.TryGetValue("offset", out var o) ? long.Parse(o) : 0)
                + (entries.TryGetValue("length", out var l) ? long.Parse(l) : 0);
            needed[location] = Math.Max(needed.GetValueOrDefault(location), end);
        }
        foreach (var (location, end) in needed)
        {
            var dataPath = Path.Combine(folder, location);
            if (FileTarget.Resolve(dataPath) is not { } data)
                problems.Add(
                    new ModelBundleException(
                        dataPath,
                        $"external weights file referenced by {Path.GetFileName(modelPath)} "
                            + (FileTarget.DanglingLink(dataPath) ?? "is missing")
                    )
                );
            else if (data.Length < end)
                problems.Add(
                    new ModelBundleException(
                        dataPath,
                        $"external weights file is {data.Length:N0} bytes but the "
                            + $"graph reads up to byte {end:N0}; the download is incomplete"
                    )
                );
            else if (ExternalWeights.Readable(modelPath, dataPath) is null)
                problems.Add(ExternalWeights.Unreadable(modelPath, dataPath));
        }
    }

    /// <summary>
    /// In a Hugging Face cache snapshot every file is a link into its repository's own <c>blobs/</c>; a link that
    /// leads out of the repository folder is no file of that repository (a hand-made or damaged cache, a link to
    /// anything on the machine) and is refused by name before anything reads it.
    /// </summary>
    private static void CheckCacheLinks(string directory, List<ModelBundleException> problems)
    {
        if (BundleLayout.HubCacheRepository(directory) is not { } repository)
            return;
        var root = FileTarget.RealPath(repository);
        var folders = new Stack<string>([directory]);
        while (folders.TryPop(out var folder))
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
            {
                if (new FileInfo(entry).LinkTarget is { } target)
                {
                    if (!FileTarget.IsUnder(FileTarget.RealPath(entry), root))
                        problems.Add(
                            new ModelBundleException(
                                entry,
                                $"is a link to '{target}', which leads out of the Hugging Face cache repository "
                                    + $"{Path.GetFileName(repository)} (to {FileTarget.RealPath(entry)}); a "
                                    + "snapshot's files are links into the repository's own blobs/. Download the "
                                    + "repository again, or replace the link with the file itself"
                            )
                        );
                }
                else if (Directory.Exists(entry))
                    folders.Push(entry);
            }
    }

    private static void CheckTokenizer(string vocab, string merges, List<ModelBundleException> problems)
    {
        var ok = RequireFile(vocab, problems) is not null & RequireFile(merges, problems) is not null;
        if (ok)
            Capture(vocab, problems, () => ClipTokenizer.FromFiles(vocab, merges));
    }

    private static string? CheckJson(string path, List<ModelBundleException> problems)
    {
        if (RequireFile(path, problems) is null)
            return null;
        var text = File.ReadAllText(path);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                problems.Add(
                    new ModelBundleException(path, $"expected a JSON object, found a {doc.RootElement.ValueKind}")
                );
                return null;
            }
            return text;
        }
        catch (JsonException e)
        {
            problems.Add(new ModelBundleException(path, $"malformed JSON: {e.Message}", e));
            return null;
        }
    }

    /// <summary>
    /// The file at <paramref name="path"/>, followed through symbolic links, when it is there and not empty.
    /// </summary>
    private static FileInfo? RequireFile(string path, List<ModelBundleException> problems)
    {
        if (FileTarget.Resolve(path) is not { } file)
        {
            problems.Add(
                new ModelBundleException(path, "required file " + (FileTarget.DanglingLink(path) ?? "is missing"))
            );
            return null;
        }
        if (file.Length == 0)
        {
            problems.Add(new ModelBundleException(path, "file is empty"));
            return null;
        }
        return file;
    }

    private static void Capture(string path, List<ModelBundleException> problems, Action check)
    {
        try
        {
            check();
        }
        catch (ModelBundleException e)
        {
            problems.Add(e);
        }
        catch (Exception e) when (e is FormatException or JsonException or IOException or ArgumentException)
        {
            problems.Add(new ModelBundleException(path, e.Message, e));
        }
    }
}
