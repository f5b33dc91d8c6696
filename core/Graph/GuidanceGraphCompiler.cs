using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Graph;

/// <summary>Options of <see cref="GuidanceGraphCompiler"/>.</summary>
/// <param name="ProbeSize">Input sizes for the one compile-time run that measures shapes (symbolic axes only).</param>
/// <param name="Force">Rebuild even when the cached graphs match the source.</param>
public sealed record GuidanceCompileOptions(UnetProbeSize? ProbeSize = null, bool Force = false)
{
    public UnetProbeSize EffectiveProbeSize => ProbeSize ?? new UnetProbeSize();
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
/// The compiled companions of a UNet, written beside its model.onnx and sharing its external weights.
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
/// it, keyed by the SHA-256 of model.onnx and the compiler version: a changed source or compiler rebuilds them.
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
        var dir = Path.GetDirectoryName(Path.GetFullPath(unetModelPath))!;
        var probePath = Path.Combine(dir, AttentionProbeFile);
        var guidancePath = Path.Combine(dir, GuidanceFile);
        var manifestPath = Path.Combine(dir, ManifestFile);

        var clock = Stopwatch.StartNew();
        var hash = FileDigest.Sha256(unetModelPath);
        var tHash = Lap(clock);

        if (
            !options.Force
            && TryReadManifest(manifestPath, hash) is { } cached
            && File.Exists(probePath)
            && File.Exists(guidancePath)
        )
        {
            log.LogInformation(
                "Guidance graphs for {Model} are up to date ({Layers} cross-attention layers, source {Hash}).",
                unetModelPath,
                cached.Layers.Count,
                hash[..12]
            );
            return new PreparedUnetGraphs(
                unetModelPath,
                hash,
                probePath,
                guidancePath,
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
            compiled = Compile(unetModelPath, dir, options.EffectiveProbeSize, log, clock);
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

        probe.Save(probePath);
        guidance.Save(guidancePath);
        var manifest = new Manifest(CompilerVersion, hash, signature.IsDynamic, inputShapes, layers.ToList());
        // Last and atomically: a reader that finds a manifest for this hash finds both graphs complete.
        AtomicFile.WriteAllText(
            manifestPath,
            JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true })
        );
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

    private static Compiled Compile(
        string unetModelPath,
        string dir,
        UnetProbeSize probeSize,
        ILogger log,
        Stopwatch clock
    )
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
            shapes = TensorShapes.Measure(unet, dir, inputs, signature.IsDynamic);
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

    private static Manifest? TryReadManifest(string path, string hash)
    {
        if (!File.Exists(path))
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
