using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pix2PixZero.Core.Captioning;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Core.Serialization;
using Pix2PixZero.Core.Tokenizers;

namespace Pix2PixZero.Core.Bundles;

/// <summary>
/// A Stable Diffusion model folder in the diffusers ONNX layout (DESIGN.md §3). Opening validates the whole
/// layout; each graph's session is created on first use and reused for the bundle's lifetime.
/// </summary>
public sealed class ModelBundle : IDisposable
{
    public const float DefaultScalingFactor = 0.18215f;
    public const int DefaultLatentSize = 64;

    private readonly OnnxSessionFactory _sessions;
    private readonly ILogger _log;
    private readonly Lazy<TextEncoder> _textEncoder;
    private readonly Lazy<Unet> _unet;
    private readonly Lazy<UnetSignature> _unetSignature;
    private readonly Lazy<VaeEncoder> _vaeEncoder;
    private readonly Lazy<VaeDecoder> _vaeDecoder;
    private readonly Lazy<BlipCaptioner> _captioner;
    private readonly Lazy<int> _vaeScale;
    private readonly Lazy<int> _unetDownsamplings;

    private ModelBundle(string directory, OnnxSessionFactory sessions, ILogger log, GraphCache graphCache)
    {
        Directory = directory;
        GraphCache = graphCache;
        _sessions = sessions;
        _log = log;
        Tokenizer = ClipTokenizer.FromFiles(
            BundleLayout.LocalPath(directory, BundleLayout.TokenizerVocab),
            BundleLayout.LocalPath(directory, BundleLayout.TokenizerMerges)
        );
        SchedulerConfig = SchedulerConfig.Parse(
            File.ReadAllText(BundleLayout.LocalPath(directory, BundleLayout.SchedulerConfig))
        );
        ScalingFactor = (float)(
            ReadConfigNumber("scaling_factor", BundleComponent.VaeDecoder, BundleComponent.VaeEncoder, "vae")
            ?? DefaultScalingFactor
        );
        _textEncoder = new(() =>
            new TextEncoder(
                _sessions.Create(GraphPath(BundleComponent.TextEncoder)),
                GraphPath(BundleComponent.TextEncoder)
            )
        );
        _unet = new(() => new Unet(_sessions.Create(GraphPath(BundleComponent.Unet)), GraphPath(BundleComponent.Unet)));
        _unetSignature = new(() => UnetSignature.Read(OnnxGraph.Load(GraphPath(BundleComponent.Unet))));
        _vaeScale = new(() =>
            1
            << (
                Downsamplings(BundleComponent.VaeDecoder, BundleComponent.VaeEncoder)
                ?? CountUpsamplings(BundleComponent.VaeDecoder)
            )
        );
        _unetDownsamplings = new(() => Downsamplings(BundleComponent.Unet) ?? CountUpsamplings(BundleComponent.Unet));
        _vaeEncoder = new(OpenVaeEncoder);
        _vaeDecoder = new(() =>
            new VaeDecoder(
                _sessions.Create(GraphPath(BundleComponent.VaeDecoder)),
                GraphPath(BundleComponent.VaeDecoder)
            )
        );
        _captioner = new(() =>
            HasCaptioner
                ? BlipCaptioner.Load(CaptionerDirectory, _sessions)
                : throw new ModelBundleException(
                    CaptionerDirectory,
                    "the model folder has no BLIP captioner; pass a caption for the image, or add a captioner/ folder"
                )
        );
    }

    public string Directory { get; }

    /// <summary>Where the UNet's compiled guidance graphs go when the model folder is read-only.</summary>
    public GraphCache GraphCache { get; }

    public ClipTokenizer Tokenizer { get; }

    public SchedulerConfig SchedulerConfig { get; }

    public float ScalingFactor { get; }

    public OnnxSessionFactory Sessions => _sessions;

    public TextEncoder TextEncoder => _textEncoder.Value;

    public Unet Unet => _unet.Value;

    public VaeEncoder VaeEncoder => _vaeEncoder.Value;

    public VaeDecoder VaeDecoder => _vaeDecoder.Value;

    /// <summary>The optional BLIP captioner in <c>captioner/</c> (DESIGN.md §1.2 step 2).</summary>
    public BlipCaptioner Captioner => _captioner.Value;

    public string CaptionerDirectory => Path.Combine(Directory, BundleComponent.Captioner);

    public bool HasCaptioner => System.IO.Directory.Exists(CaptionerDirectory);

    /// <summary>
    /// The UNet's inputs as its graph declares them, read from <c>unet/model.onnx</c> alone: sizes are known without
    /// loading gigabytes of weights into a session.
    /// </summary>
    public UnetSignature UnetSignature => _unetSignature.Value;

    /// <summary>
    /// The model's own latent side: the UNet's fixed size, else <c>unet/config.json</c>'s sample_size, else SD 1.x's
    /// 64. Its square, in pixels, is the area photos are processed at unless a size is asked for.
    /// </summary>
    public int LatentSize =>
        UnetSignature.FixedLatentSize?.Height
        ?? (int?)ReadConfigNumber("sample_size", BundleComponent.Unet)
        ?? DefaultLatentSize;

    /// <summary>
    /// The size a photo of <paramref name="photo"/> pixels is processed at (README, "Photo sizes"): its proportions
    /// kept as closely as sides that are multiples of <see cref="SizeMultiple"/> allow, within the area of a
    /// <paramref name="side"/>² square (default: the model's own, <see cref="ImageSize"/>²). A UNet exported at a
    /// fixed size runs at that size only: the photo is stretched to it, and another side is refused.
    /// </summary>
    /// <param name="option">The option's name in error messages (<c>--size</c> on the command line).</param>
    public PixelSize ProcessingSize(PixelSize photo, int? side = null, string option = "size")
    {
        if (side is { } asked)
            CheckImageSize(asked, option);
        if (UnetSignature.FixedLatentSize is { } fixedSize)
        {
            var size = new PixelSize(fixedSize.Width * VaeScale, fixedSize.Height * VaeScale);
            if (side is { } other && (long)other * other != size.Area)
                throw new InvalidOptionException(
                    option,
                    other,
                    $"this model's UNet was exported for {size} images only; use that size or leave it out"
                );
            return size;
        }
        var areaSide = side ?? ImageSize;
        return Imaging.ProcessingSize.Pick(photo, SizeMultiple, (long)areaSide * areaSide);
    }

    public const int MaxImageSize = 2048;

    /// <summary>The rule every model shares, checked before any model is loaded.</summary>
    public static int CheckImageSize(int imageSize, string option = "size") =>
        imageSize % 64 == 0 && imageSize is >= 64 and <= MaxImageSize
            ? imageSize
            : throw new InvalidOptionException(
                option,
                imageSize,
                $"use a multiple of 64 from 64 to {MaxImageSize} (the side of the square whose area the photo gets)"
            );

    public int LatentChannels =>
        UnetSignature.FixedLatentChannels ?? (int?)ReadConfigNumber("in_channels", BundleComponent.Unet) ?? 4;

    /// <summary>
    /// The VAE's spatial factor, 2 per downsampling of its encoder: from the VAE's config (one downsampling between
    /// each two of its blocks), else counted in the decoder graph (one upsampling per downsampling); 8 for every SD
    /// 1.x VAE.
    /// </summary>
    public int VaeScale => _vaeScale.Value;

    /// <summary>
    /// What every processing side is a multiple of: the VAE's factor times 2 per downsampling of the UNet, whose
    /// skip connections need each level's size to halve exactly (64 for SD 1.x: 8 × 2³).
    /// </summary>
    public int SizeMultiple => VaeScale << _unetDownsamplings.Value;

    /// <summary>The model's own image side (<see cref="LatentSize"/> × <see cref="VaeScale"/>).</summary>
    public int ImageSize => LatentSize * VaeScale;

    public string GraphPath(string component) => BundleLayout.LocalPath(Directory, BundleLayout.Graph(component));

    /// <summary>Opens a bundle, or throws one error listing every problem found in the folder.</summary>
    /// <param name="graphCache">Where compiled graphs go when the folder is read-only (default
    /// <see cref="GraphCache.Default"/>).</param>
    public static ModelBundle Open(
        string directory,
        OnnxSessionFactory? sessions = null,
        ILogger? log = null,
        GraphCache? graphCache = null
    )
    {
        var full = Path.GetFullPath(directory);
        var problems = ModelBundleValidator.Validate(full);
        if (problems.Count == 1)
            throw problems[0];
        if (problems.Count > 1)
            throw new ModelBundleException(
                full,
                $"the model folder has {problems.Count} problems:{Environment.NewLine}"
                    + string.Join(Environment.NewLine, problems.Select(p => "  - " + p.Message))
            );
        return new ModelBundle(
            full,
            sessions ?? new OnnxSessionFactory(log: log),
            log ?? NullLogger.Instance,
            graphCache ?? GraphCache.Default
        );
    }

    public void Dispose()
    {
        DisposeIfCreated(_textEncoder);
        DisposeIfCreated(_unet);
        DisposeIfCreated(_vaeEncoder);
        DisposeIfCreated(_vaeDecoder);
        if (_captioner.IsValueCreated)
            _captioner.Value.Dispose();
    }

    private static void DisposeIfCreated<T>(Lazy<T> model)
        where T : OnnxModel
    {
        if (model.IsValueCreated)
            model.Value.Dispose();
    }

    private VaeEncoder OpenVaeEncoder()
    {
        var path = GraphPath(BundleComponent.VaeEncoder);
        var model = ModelBundleValidator.ReadModel(path);
        if (!PosteriorMeanRewriter.Samples(model))
            return new VaeEncoder(_sessions.Create(path), path, LatentChannels, rewrittenFromSampling: false);
        PosteriorMeanRewriter.Rewrite(model, path);
        _log.LogInformation("{Path} samples the latent; rewritten to return the posterior mean", path);
        // Held in memory, never written into the model folder, which may be read-only; it reads the same weights.
        return new VaeEncoder(
            _sessions.Create(model, weightsOf: path, label: path),
            path,
            LatentChannels,
            rewrittenFromSampling: true
        );
    }

    // diffusers' encoders and UNets downsample between consecutive blocks: one fewer times than they have blocks.
    private int? Downsamplings(params string[] components) =>
        ReadConfigValue("block_out_channels", components) is { ValueKind: JsonValueKind.Array } blocks
        && blocks.GetArrayLength() > 0
            ? blocks.GetArrayLength() - 1
            : null;

    // Exports without a config: each downsampling is undone by one nearest ×2 Resize on the way up.
    private int CountUpsamplings(string component) =>
        OnnxGraph.Load(GraphPath(component)).Graph.Node.Count(n => n.OpType == "Resize");

    private double? ReadConfigNumber(string key, params string[] components) =>
        ReadConfigValue(key, components) is { ValueKind: JsonValueKind.Number } value ? value.GetDouble() : null;

    private JsonElement? ReadConfigValue(string key, params string[] components)
    {
        foreach (var component in components)
        {
            var path = BundleLayout.LocalPath(Directory, $"{component}/{BundleLayout.ComponentConfigName}");
            if (!File.Exists(path))
                continue;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                if (
                    doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty(key, out var value)
                )
                    return value.Clone();
            }
            catch (JsonException e)
            {
                throw new ModelBundleException(path, $"malformed JSON: {e.Message}", e);
            }
        }
        return null;
    }
}
