using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Graph;

/// <summary>Options of <see cref="GuidanceGraphCompiler"/>.</summary>
/// <param name="ProbeSize">Input sizes for the one compile-time run that measures shapes (symbolic axes only).</param>
/// <param name="Force">Rebuild even when the cached graphs match the source.</param>
/// <param name="Cache">Where graphs go when the UNet's folder is read-only (default: the user's).</param>
public sealed record GuidanceCompileOptions(
    UnetProbeSize? ProbeSize = null,
    bool Force = false,
    GraphCache? Cache = null
)
{
    public UnetProbeSize EffectiveProbeSize => ProbeSize ?? new UnetProbeSize();

    public GraphCache EffectiveCache => Cache ?? GraphCache.Default;
}

/// <summary>Where each compile stage spent its time (zero for a cache hit, except hashing).</summary>
public sealed record CompileTimings(
    TimeSpan Hash,
    TimeSpan Load,
    TimeSpan MeasureShapes,
    TimeSpan Locate,
    TimeSpan Build,
    TimeSpan Save
)
{
    public TimeSpan Total => Hash + Load + MeasureShapes + Locate + Build + Save;
}

/// <summary>
/// The compiled companions of a UNet, written beside its model.onnx or into the <see cref="GraphCache"/>, sharing its
/// external weights: open them with the UNet's path as the weights' source (<see cref="SourceModelPath"/>).
/// </summary>
public sealed record PreparedUnetGraphs(
    string SourceModelPath,
    string SourceSha256,
    string AttentionProbePath,
    string GuidancePath,
    IReadOnlyList<CrossAttentionLayer> Layers,
    bool SourceIsDynamic,
    IReadOnlyDictionary<string, long[]> ProbeInputShapes,
    bool FromCache,
    CompileTimings Timings
);

/// <summary>
/// Compiles the attention-probe and guidance graphs (DESIGN.md §2) from a UNet ONNX file and caches them next to
/// it, or in the <see cref="GraphCache"/> when its folder is read-only, keyed by the SHA-256 of model.onnx and the
/// compiler version: a changed source or compiler rebuilds them.
/// </summary>
public static class GuidanceGraphCompiler
{
    /// <summary>Bump whenever emitted graphs change, so caches built by older compilers are rebuilt.</summary>
    public const string CompilerVersion = "graph-compiler/10";

    public const string AttentionProbeFile = "attention_probe.onnx";
    public const string GuidanceFile = "guidance.onnx";
    public const string ManifestFile = "guidance.manifest.json";

    private sealed record Manifest(
        string CompilerVersion,
        string SourceSha256,
        bool SourceIsDynamic,
        Dictionary<string, long[]> ProbeInputShapes,
        List<CrossAttentionLayer> Layers
    );

    public static PreparedUnetGraphs Prepare(
        string unetModelPath,
        ILogger? log = null,
        GuidanceCompileOptions? options = null
    )
    {
        log ??= NullLogger.Instance;
        options ??= new GuidanceCompileOptions();
        options.EffectiveProbeSize.Validate();
        if (!File.Exists(unetModelPath))
            throw new FileNotFoundException(
                $"UNet model not found at '{unetModelPath}'. Pass the path of unet/model.onnx.",
                unetModelPath
            );
        var source = Path.GetDirectoryName(Path.GetFullPath(unetModelPath))!;
        var cache = options.EffectiveCache;

        var clock = Stopwatch.StartNew();
        var hash = FileDigest.Sha256(unetModelPath);
        var tHash = Lap(clock);

        if (!options.Force)
            foreach (var folder in Candidates(source, cache, hash))
                if (TryReadManifest(folder, hash) is { } cached)
                {
                    log.LogInformation(
                        "Guidance graphs for {Model} are up to date in {Folder} "
                            + "({Layers} cross-attention layers, source {Hash}).",
                        unetModelPath,
                        folder,
                        cached.Layers.Count,
                        hash[..12]
                    );
                    return new PreparedUnetGraphs(
                        unetModelPath,
                        hash,
                        Path.Combine(folder, AttentionProbeFile),
                        Path.Combine(folder, GuidanceFile),
                        cached.Layers,
                        cached.SourceIsDynamic,
                        cached.ProbeInputShapes,
                        FromCache: true,
                        new CompileTimings(tHash, default, default, default, default, default)
                    );
                }

        Compiled compiled;
        try
        {
            compiled = Compile(unetModelPath, options.EffectiveProbeSize, log, clock);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidDataException)
        {
            // An export the method cannot use (fused attention, an op without a gradient rule, odd inputs) is a
            // problem of the model folder, named by its file, not a crash.
            throw new ModelBundleException(
                unetModelPath,
                $"the guidance compiler cannot use this UNet: {e.Message}",
                e
            );
        }
        var (probe, guidance, signature, inputShapes, layers, tLoad, tShapes, tLocate, tBuild) = compiled;

        var target = cache.FolderFor(source, hash);
        var probePath = Path.Combine(target, AttentionProbeFile);
        var guidancePath = Path.Combine(target, GuidanceFile);
        try
        {
            Directory.CreateDirectory(target);
            probe.Save(probePath);
            guidance.Save(guidancePath);
            var manifest = new Manifest(CompilerVersion, hash, signature.IsDynamic, inputShapes, layers.ToList());
            // Last and atomically: a reader that finds a manifest for this hash finds both graphs complete.
            AtomicFile.WriteAllText(
                Path.Combine(target, ManifestFile),
                JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true })
            );
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && target != source)
        {
            throw new Pix2PixZeroException(
                FailureKind.Permanent,
                $"the model folder {source} is read-only and the compiled guidance graphs cannot be written to the "
                    + $"graph cache either ({e.Message}); set the graph cache ({GraphCache.Variable}) to a writable "
                    + "folder",
                e
            );
        }
        var tSave = Lap(clock);

        var timings = new CompileTimings(tHash, tLoad, tShapes, tLocate, tBuild, tSave);
        log.LogInformation(
            "Compiled {Probe} ({ProbeNodes} nodes) and {Guidance} ({GuidanceNodes} nodes) in {Ms:F0} ms.",
            probePath,
            probe.Graph.Node.Count,
            guidancePath,
            guidance.Graph.Node.Count,
            timings.Total.TotalMilliseconds
        );
        return new PreparedUnetGraphs(
            unetModelPath,
            hash,
            probePath,
            guidancePath,
            layers,
            signature.IsDynamic,
            inputShapes,
            FromCache: false,
            timings
        );
    }

    /// <summary>
    /// Where the graphs of the UNet at <paramref name="unetModelPath"/> are: the folder holding up-to-date graphs
    /// (<c>Compiled</c>), else the folder compiling will write them to.
    /// </summary>
    public static (string Folder, bool Compiled) Location(string unetModelPath, GraphCache cache)
    {
        var source = Path.GetDirectoryName(Path.GetFullPath(unetModelPath))!;
        var hash = FileDigest.Sha256(unetModelPath);
        return Candidates(source, cache, hash).FirstOrDefault(f => TryReadManifest(f, hash) is not null) is { } folder
            ? (folder, true)
            : (cache.FolderFor(source, hash), false);
    }

    // Graphs compiled beside the UNet are used even after its folder became read-only.
    private static string[] Candidates(string source, GraphCache cache, string hash) =>
        [source, Path.Combine(cache.Root, hash)];

    private sealed record Compiled(
        OnnxGraph Probe,
        OnnxGraph Guidance,
        UnetSignature Signature,
        Dictionary<string, long[]> InputShapes,
        IReadOnlyList<CrossAttentionLayer> Layers,
        TimeSpan Load,
        TimeSpan MeasureShapes,
        TimeSpan Locate,
        TimeSpan Build
    );

    private static Compiled Compile(string unetModelPath, UnetProbeSize probeSize, ILogger log, Stopwatch clock)
    {
        var unet = OnnxGraph.Load(unetModelPath);
        var signature = UnetSignature.Read(unet);
        CrossAttentionLocator.Locate(unet, signature); // refuses fused exports before paying for a UNet run
        var tLoad = Lap(clock);

        var inputShapes = signature.ConcreteShapes(probeSize);
        var inputs = signature.CreateInputs(inputShapes);
        TensorShapes shapes;
        try
        {
            shapes = TensorShapes.Measure(unet, unetModelPath, inputs, signature.IsDynamic);
        }
        finally
        {
            foreach (var v in inputs.Values)
                v.Dispose();
        }
        var tShapes = Lap(clock);

        var layers = CrossAttentionLocator.Locate(unet, signature, shapes);
        var tLocate = Lap(clock);
        log.LogInformation(
            "Found {Count} cross-attention layers in {Model} (opset {Opset}): {Shapes}.",
            layers.Count,
            unetModelPath,
            unet.Opset,
            string.Join(" ", layers.Select(l => $"[{string.Join(",", l.Shape ?? [])}]"))
        );

        var probe = AttentionProbeGraph.Build(unet, layers, shapes);
        var guidance = GuidanceGraph.Build(unet, signature, layers, shapes);
        return new Compiled(probe, guidance, signature, inputShapes, layers, tLoad, tShapes, tLocate, Lap(clock));
    }

    /// <summary>The manifest in <paramref name="folder"/> when it and both graphs are there for this source.</summary>
    private static Manifest? TryReadManifest(string folder, string hash)
    {
        var path = Path.Combine(folder, ManifestFile);
        if (
            !File.Exists(path)
            || !File.Exists(Path.Combine(folder, AttentionProbeFile))
            || !File.Exists(Path.Combine(folder, GuidanceFile))
        )
            return null;
        try
        {
            var m = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path));
            return m is not null && m.CompilerVersion == CompilerVersion && m.SourceSha256 == hash ? m : null;
        }
        catch (JsonException)
        {
            return null; // a damaged manifest only costs a rebuild
        }
    }

    private static TimeSpan Lap(Stopwatch clock)
    {
        var t = clock.Elapsed;
        clock.Restart();
        return t;
    }
}
