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
/// the file it concerns: missing or empty files, JSON that does not parse, ONNX files that are not models, and
/// external weights that are missing, shorter than the graph says or where ONNX Runtime will not read them. Files
/// reached through symbolic links (the Hugging Face cache's layout) are judged by their final targets.
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
            else if (!ReadableByOnnxRuntime(modelPath, dataPath))
                problems.Add(
                    new ModelBundleException(
                        dataPath,
                        $"external weights file lies at {FileTarget.RealPath(dataPath)}, outside the folder of "
                            + $"{Path.GetFileName(modelPath)}; ONNX Runtime reads external weights only "
                            + "from the graph's own folder (or, when the graph file is itself a link, "
                            + "from its target's folder, as in the Hugging Face cache). Put the "
                            + "file itself there, or link the whole component folder instead"
                    )
                );
        }
    }

    /// <summary>
    /// ONNX Runtime's containment rule for external data (onnxruntime#27374): the data's real path must lie under the
    /// graph's folder as given, or under the real folder of the graph file.
    /// </summary>
    private static bool ReadableByOnnxRuntime(string modelPath, string dataPath)
    {
        var data = FileTarget.RealPath(dataPath);
        return IsUnder(data, FileTarget.RealPath(Path.GetDirectoryName(Path.GetFullPath(modelPath))!))
            || IsUnder(data, Path.GetDirectoryName(FileTarget.RealPath(modelPath))!);
    }

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(
            Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar,
            StringComparison.Ordinal
        );

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
