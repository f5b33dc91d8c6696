using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Where ONNX Runtime reads a graph's external weights from, and how a graph derived from another one (the compiled
/// guidance graphs, the shape probe, the posterior-mean VAE encoder) reads its source's weights wherever it is kept.
/// <para>
/// ONNX Runtime resolves a weights file's <c>location</c> against the graph's folder and reads it only when the file,
/// links followed, lies under that folder or under the real folder of the graph file (onnxruntime#27374). A Hugging
/// Face snapshot passes the second rule: <c>unet/model.onnx</c> and <c>unet/weights.pb</c> are links into the same
/// <c>blobs/</c>. A derived graph written as a real file beside them, or into a cache elsewhere, passes neither. So a
/// derived graph keeps its source's locations on disk and is loaded from memory, its locations rewritten relative to
/// the folder the weights really lie in and that folder given to ONNX Runtime as the external-data folder; the
/// weights it may read are exactly those ONNX Runtime lets its source read.
/// </para>
/// </summary>
public static class ExternalWeights
{
    /// <summary>
    /// ONNX Runtime's session setting for the folder external data of a model loaded from memory is in.
    /// </summary>
    public const string FolderSetting = "session.model_external_initializers_file_folder_path";

    /// <summary>
    /// The weights file at <paramref name="dataPath"/> (a location resolved against the graph's folder) with its links
    /// followed, when ONNX Runtime lets the graph at <paramref name="modelPath"/> read it; null when it refuses.
    /// </summary>
    public static string? Readable(string modelPath, string dataPath)
    {
        var data = FileTarget.RealPath(dataPath);
        return
            FileTarget.IsUnder(data, FileTarget.RealPath(Path.GetDirectoryName(Path.GetFullPath(modelPath))!))
            || FileTarget.IsUnder(data, Path.GetDirectoryName(FileTarget.RealPath(modelPath))!)
            ? data
            : null;
    }

    /// <summary>
    /// Rewrites the external locations of <paramref name="model"/>, a graph derived from the one at
    /// <paramref name="sourceModelPath"/> whose locations it shares, relative to the one folder its weights really lie
    /// in; returns that folder (for <see cref="FolderSetting"/>), or null when every weight is inline.
    /// </summary>
    public static string? Rebase(ModelProto model, string sourceModelPath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(sourceModelPath))!;
        var entries = model
            .Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External)
            .SelectMany(t => t.ExternalData.Where(e => e.Key == "location"))
            .ToList();
        if (entries.Count == 0)
            return null;
        var real = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var location in entries.Select(e => e.Value).Distinct(StringComparer.Ordinal))
        {
            var dataPath = Path.Combine(folder, location);
            real[location] = Readable(sourceModelPath, dataPath) ?? throw Unreadable(sourceModelPath, dataPath);
        }
        var common = real.Values.Select(p => Path.GetDirectoryName(p)!).Aggregate(CommonFolder);
        foreach (var entry in entries)
            entry.Value = Path.GetRelativePath(common, real[entry.Value]);
        return common;
    }

    /// <summary>
    /// The problem of a weights file that <see cref="Readable"/> finds ONNX Runtime refuses, and the fix.
    /// </summary>
    public static ModelBundleException Unreadable(string modelPath, string dataPath) =>
        new(
            dataPath,
            $"external weights file lies at {FileTarget.RealPath(dataPath)}, outside the folder of "
                + $"{Path.GetFileName(modelPath)}; ONNX Runtime reads external weights only "
                + "from the graph's own folder (or, when the graph file is itself a link, "
                + "from its target's folder, as in the Hugging Face cache). Put the "
                + "file itself there, or link the whole component folder instead"
        );

    private static string CommonFolder(string a, string b)
    {
        while (a != b && !FileTarget.IsUnder(b, a) && Path.GetDirectoryName(a) is { } parent)
            a = parent;
        return a;
    }
}
