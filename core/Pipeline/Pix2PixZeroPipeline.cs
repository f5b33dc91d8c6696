using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Scheduling;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// pix2pix-zero on one model bundle, step for step as DESIGN.md §1.2: caption → text embeddings → regularized
/// inversion → reference and guided edit passes in lockstep → decode, at the processing size picked for the photo's
/// proportions (<see cref="ModelBundle.ProcessingSize"/>). The guidance graphs are compiled (or taken from the cache
/// beside the UNet or in the graph cache) on first use; their sessions are created for one latent shape each and the
/// most recently used shapes' are kept (<see cref="SessionsByShape{TShape,TSessions}"/>). Every UNet call of the
/// method goes through the compiled graphs: the attention probe also serves the plain noise predictions of the
/// inversion and the edit pass, and the probe and guidance sessions read one shared copy of the UNet's weights
/// (<see cref="SharedWeights"/>), so the bundle's plain UNet session is never opened for an edit.
/// </summary>
public sealed class Pix2PixZeroPipeline : IDisposable
{
    private readonly ModelBundle _bundle;
    private readonly ILogger _log;
    private readonly SharedWeights _weights = new();
    private readonly SessionsByShape<(int Height, int Width), LoadedGraphs> _graphs;

    /// <summary>
    /// Latent shapes whose sessions a pipeline keeps unless told otherwise: one, as on a GPU each shape's sessions
    /// cost gigabytes at full size (README, "Photo sizes").
    /// </summary>
    public const int DefaultSessionShapes = 1;

    /// <param name="sessionShapes">
    /// How many latent shapes' probe and guidance sessions are kept for reuse (README, "Photo sizes", for the memory
    /// each takes).
    /// </param>
    public Pix2PixZeroPipeline(ModelBundle bundle, ILogger? log = null, int sessionShapes = DefaultSessionShapes)
    {
        _bundle = bundle;
        _log = log ?? NullLogger.Instance;
        _graphs = new(sessionShapes, shape => LoadGuidance(shape.Height, shape.Width));
        Scheduler = new DdimScheduler(bundle.SchedulerConfig);
        Prompts = new PromptEncoder(bundle);
        Latents = new LatentCodec(bundle);
    }

    public DdimScheduler Scheduler { get; }

    public PromptEncoder Prompts { get; }

    public LatentCodec Latents { get; }

    public ModelBundle Bundle => _bundle;

    /// <summary>
    /// The attention probe and guidance sessions for latents of one shape (compiling the graphs on first use), held
    /// until the result is disposed.
    /// </summary>
    public LatentGraphs Graphs(int latentHeight, int latentWidth) => new(_graphs.Acquire((latentHeight, latentWidth)));

    /// <summary>The latent shapes whose sessions are kept now, most recently used first.</summary>
    public IReadOnlyList<(int Height, int Width)> SessionShapes => _graphs.Shapes;

    /// <summary>The reference/edit loop on one latent shape's graphs.</summary>
    public CrossAttentionGuidedEditor CreateEditor(LatentGraphs graphs) =>
        new(graphs.AttentionProbe, graphs.Guidance, graphs.NoisePredictor, Scheduler);

    public RegularizedInversion CreateInversion(LatentGraphs graphs) => new(graphs.NoisePredictor, Scheduler);

    /// <summary>
    /// Compiles the guidance graphs of this bundle's UNet, or takes them from where they were compiled before (beside
    /// it, or the bundle's <see cref="GraphCache"/>), without opening sessions for them.
    /// </summary>
    public PreparedUnetGraphs PrepareGuidanceGraphs(bool force = false) =>
        GuidanceGraphCompiler.Prepare(
            _bundle.GraphPath(BundleComponent.Unet),
            _log,
            new GuidanceCompileOptions(Force: force, Cache: _bundle.GraphCache)
        );

    /// <summary>
    /// BLIP's caption of the image as the method sees it: resized to the processing size first (default: the one
    /// picked for its proportions; the public code captions the 512×512 Lanczos image), then BLIP's own 384×384
    /// bicubic preprocessing.
    /// </summary>
    public string Caption(Image<Rgb24> image, CancellationToken cancellationToken = default, PixelSize? size = null)
    {
        using var sized = ImageCodec.Resize(image, size ?? _bundle.ProcessingSize(ImageCodec.SizeOf(image)));
        return _bundle.Captioner.Caption(sized, cancellationToken);
    }

    /// <summary>
    /// The method on one photo, DESIGN.md §1.2 from end to end: the caption (BLIP's unless the request gives one),
    /// one direction per task from the word means, the regularized inversion, the reference and guided edit passes,
    /// the decode. Returns each task's picture and record; the caller disposes the pictures.
    /// </summary>
    public IReadOnlyList<EditedPicture> EditPhoto(
        PhotoEditRequest request,
        IProgress<PipelineProgress>? progress = null,
        CancellationToken cancellationToken = default
    )
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stageSeconds = new Dictionary<string, double>();
        void Ended(string stage)
        {
            var elapsed = clock.Elapsed;
            stageSeconds[stage] = Math.Round(elapsed.TotalSeconds, 3);
            request.StageEnded?.Invoke(stage, elapsed);
            clock.Restart();
        }

        var original = ImageCodec.SizeOf(request.Image);
        var size = _bundle.ProcessingSize(original, request.Size, request.SizeOption);
        var captionSource = request.Caption is null ? "BLIP" : "user";
        var caption = request.Caption ?? Caption(request.Image, cancellationToken, size);
        request.Captioned?.Invoke(caption, captionSource);
        Ended("caption");
        var directions = Directions(request.Tasks, request.Sentences, request.Store, progress, cancellationToken);
        Ended("directions");
        var inverted = Invert(request.Image, caption, request.Options, progress, cancellationToken, size);
        Ended("invert");
        var images = Edit(inverted, directions, request.Options, progress, cancellationToken);
        if (request.ResizeToOriginal)
            images = [.. images.Select(ToOriginal)];
        Ended("edit");

        Image<Rgb24> ToOriginal(Image<Rgb24> image)
        {
            using (image)
                return ImageCodec.Resize(image, original);
        }

        var provenance = new EditProvenance(
            Synthetic: false,
            Input: request.Input,
            Prompt: null,
            Caption: caption,
            CaptionSource: captionSource,
            ModelDirectory: _bundle.Directory,
            ModelId: Prompts.ModelId,
            Provider: _bundle.Sessions.ActiveProvider?.ToString() ?? "?",
            Original: original,
            Processing: size,
            Result: request.ResizeToOriginal ? original : size,
            DirectionSentences: request.Sentences.Label,
            Scheduler: _bundle.SchedulerConfig.Describe()
        );
        return request
            .Tasks.Zip(images, (task, image) =>
                new EditedPicture(task, image, EditRecord.Create(provenance, task.Name, request.Options, stageSeconds))
            )
            .ToList();
    }

    /// <summary>One direction per task, between the word means (from the store when computed before).</summary>
    public IReadOnlyList<EditDirection> Directions(
        IReadOnlyList<EditTask> tasks,
        SentenceSource sentences,
        DirectionStore store,
        IProgress<PipelineProgress>? progress = null,
        CancellationToken cancellationToken = default
    )
    {
        var means = new Dictionary<EditWord, WordMean>();
        WordMean Mean(EditWord word)
        {
            if (!means.TryGetValue(word, out var mean))
            {
                progress?.Report(new PipelineProgress($"word '{word.Value}'", 0, 1));
                means[word] = mean = WordMean(word.Value, sentences, store, cancellationToken);
                progress?.Report(new PipelineProgress($"word '{word.Value}'", 1, 1));
            }
            return mean;
        }
        return tasks.Select(t => EditDirection.Between(Mean(t.Source), Mean(t.Target))).ToList();
    }

    /// <summary>
    /// The per-word mean embedding, from the store when it was computed before with the same sentences.
    /// </summary>
    public WordMean WordMean(
        string word,
        SentenceSource source,
        DirectionStore store,
        CancellationToken cancellationToken = default
    ) => new WordMeanResolver(Prompts, store).Resolve(EditWord.Parse(word), source, cancellationToken);

    /// <summary>
    /// The regularized inversion of the photo at <paramref name="size"/> (default: the size picked for its
    /// proportions).
    /// </summary>
    public InvertedImage Invert(
        Image<Rgb24> image,
        string caption,
        MethodParameters options,
        IProgress<PipelineProgress>? progress = null,
        CancellationToken cancellationToken = default,
        PixelSize? size = null
    )
    {
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new PipelineProgress("encode", 0, 1));
        var z0 = Latents.Encode(image, size);
        using var graphs = Graphs(z0.Dimensions[2], z0.Dimensions[3]);
        var zT = CreateInversion(graphs)
            .Invert(
                z0,
                TextBatch(Prompts.Encode(caption)),
                options.Steps,
                options.Convention,
                new NoiseRegularizer(options.Regularizer),
                options.Seed,
                Stage(progress, "invert"),
                NonFiniteCheck.InversionStep,
                cancellationToken
            );
        return new InvertedImage(zT, caption, options.Steps, options.Convention, options.Seed, Prompts.ModelId);
    }

    /// <summary>
    /// Edits an inverted photo once per direction; all directions share one reference pass. The options were checked
    /// where they were made (<see cref="MethodParameters.Read"/>), or by <see cref="Invert"/>, and are not again here.
    /// </summary>
    public IReadOnlyList<Image<Rgb24>> Edit(
        InvertedImage inverted,
        IReadOnlyList<EditDirection> directions,
        MethodParameters options,
        IProgress<PipelineProgress>? progress = null,
        CancellationToken cancellationToken = default
    )
    {
        if (inverted.ModelId != Prompts.ModelId)
            throw new InvalidInputException(
                $"the inverted latent was made with {inverted.ModelId}, but this "
                    + $"model is {Prompts.ModelId}; invert the image again with this model"
            );
        if (inverted.Steps != options.Steps)
            throw new InvalidOptionException(
                "steps",
                options.Steps,
                $"edit with the {inverted.Steps} steps the image was inverted with"
            );
        var caption = Prompts.Encode(inverted.Caption);
        var negative = options.NegativePrompt is null ? caption : Prompts.Encode(options.NegativePrompt);
        return EditFrom(
            inverted.Latent,
            negative,
            caption,
            directions,
            options,
            synthetic: false,
            progress,
            cancellationToken
        );
    }

    /// <summary>
    /// Synthetic mode: z_T is seeded noise, the prompt is the user's, the negative prompt "" by default; the picture
    /// is <paramref name="size"/> (default: the model's own square).
    /// </summary>
    public (Image<Rgb24> Reference, IReadOnlyList<Image<Rgb24>> Edits) Generate(
        string prompt,
        IReadOnlyList<EditDirection> directions,
        MethodParameters options,
        IProgress<PipelineProgress>? progress = null,
        CancellationToken cancellationToken = default,
        PixelSize? size = null
    )
    {
        options.Validate();
        var (width, height) = size ?? new PixelSize(_bundle.ImageSize, _bundle.ImageSize);
        var scale = _bundle.VaeScale;
        var zT = new DenseTensor<float>([1, _bundle.LatentChannels, height / scale, width / scale]);
        SeededGaussian.Fill(zT.Buffer.Span, options.Seed);
        var positive = Prompts.Encode(prompt);
        var negative = Prompts.Encode(options.NegativePrompt ?? "");
        var images = EditFrom(
            zT,
            negative,
            positive,
            [.. directions],
            options,
            synthetic: true,
            progress,
            cancellationToken,
            includeReference: true
        );
        return (images[^1], images.Take(images.Count - 1).ToArray());
    }

    public void Dispose()
    {
        _graphs.Dispose();
        _weights.Dispose();
    }

    private IReadOnlyList<Image<Rgb24>> EditFrom(
        DenseTensor<float> zT,
        float[] negative,
        float[] positive,
        IReadOnlyList<EditDirection> directions,
        MethodParameters options,
        bool synthetic,
        IProgress<PipelineProgress>? progress,
        CancellationToken cancellationToken,
        bool includeReference = false
    )
    {
        var edited = directions.Select(d => WithDirection(positive, d, options.EditMultiplier)).ToArray();
        var rowShape = new[] { Prompts.SequenceLength, positive.Length / Prompts.SequenceLength };
        using var graphs = Graphs(zT.Dimensions[2], zT.Dimensions[3]);
        var editor = CreateEditor(graphs);
        DenseTensor<float>? reference = null;
        var latents = editor.Edit(
            zT,
            new EditConditioning(negative, positive, edited, rowShape),
            options.Steps,
            options.GuidanceScale,
            options.EffectiveCrossAttentionGuidance(synthetic),
            Stage(progress, "edit"),
            step =>
            {
                NonFiniteCheck.EditStep(step);
                if (includeReference)
                    reference = new DenseTensor<float>(step.ReferenceLatent, zT.Dimensions);
            },
            cancellationToken
        );
        progress?.Report(new PipelineProgress("decode", 0, latents.Count));
        var images = latents.Select(Latents.Decode).ToList();
        if (includeReference)
            images.Add(Latents.Decode(reference!));
        progress?.Report(new PipelineProgress("decode", latents.Count, latents.Count));
        return images;
    }

    private float[] WithDirection(float[] positive, EditDirection direction, float multiplier)
    {
        if (direction.ModelId != Prompts.ModelId)
            throw new InvalidInputException(
                $"the {direction.Source.Value}→{direction.Target.Value} direction was computed "
                    + $"for {direction.ModelId}, not for this model ({Prompts.ModelId}); recompute it"
            );
        var result = (float[])positive.Clone();
        direction.AddTo(result, multiplier);
        return result;
    }

    private DenseTensor<float> TextBatch(float[] row) =>
        new(row, [1, Prompts.SequenceLength, row.Length / Prompts.SequenceLength]);

    // Sessions with the latent's sizes fixed: ONNX Runtime plans a dynamic graph far faster so.
    private LoadedGraphs LoadGuidance(int latentHeight, int latentWidth)
    {
        var graphs = PrepareGuidanceGraphs();
        var layers = graphs.Layers.Count;
        var signature = _bundle.UnetSignature;
        var tokens = Prompts.SequenceLength;
        // The probe runs the inversion (batch 1) and the CFG pairs (batch 2). The guidance graph runs the pairs one
        // row at a time when the export lets it (half the memory of its reverse pass), else the pair at once.
        var probeSizes = signature.FixedDimensions(batch: null, latentHeight, latentWidth, tokens);
        int? guidanceRows = signature.FixedBatch is null ? 1 : null;
        var guidanceSizes = signature.FixedDimensions(batch: guidanceRows ?? 2, latentHeight, latentWidth, tokens);
        var probe = new AttentionProbe(
            _bundle.Sessions.Create(graphs.AttentionProbePath, _weights, probeSizes, graphs.SourceModelPath),
            graphs.AttentionProbePath,
            layers
        );
        try
        {
            var guidance = new GuidanceModel(
                _bundle.Sessions.Create(graphs.GuidancePath, _weights, guidanceSizes, graphs.SourceModelPath),
                graphs.GuidancePath,
                layers,
                guidanceRows
            );
            return new LoadedGraphs(probe, guidance);
        }
        catch
        {
            probe.Dispose();
            throw;
        }
    }

    internal sealed record LoadedGraphs(AttentionProbe Probe, GuidanceModel Guidance) : IDisposable
    {
        public void Dispose()
        {
            Probe.Dispose();
            Guidance.Dispose();
        }
    }

    private static IProgress<(int Step, int Total)>? Stage(IProgress<PipelineProgress>? progress, string stage) =>
        progress is null ? null : new StageProgress(progress, stage);

    // Progress<T> posts to the thread pool; reports must arrive in order and before the step's work goes on.
    private sealed class StageProgress(IProgress<PipelineProgress> target, string stage)
        : IProgress<(int Step, int Total)>
    {
        public void Report((int Step, int Total) value) =>
            target.Report(new PipelineProgress(stage, value.Step, value.Total));
    }
}

/// <summary>
/// One latent shape's attention probe and guidance sessions (<see cref="Pix2PixZeroPipeline.Graphs"/>), kept open
/// for the holder until disposed.
/// </summary>
public sealed class LatentGraphs : IDisposable
{
    private readonly SessionsByShape<(int Height, int Width), Pix2PixZeroPipeline.LoadedGraphs>.Lease _lease;

    internal LatentGraphs(SessionsByShape<(int Height, int Width), Pix2PixZeroPipeline.LoadedGraphs>.Lease lease) =>
        _lease = lease;

    public int LatentHeight => _lease.Shape.Height;

    public int LatentWidth => _lease.Shape.Width;

    /// <summary>The UNet with its cross-attention maps as outputs.</summary>
    public AttentionProbe AttentionProbe => _lease.Sessions.Probe;

    /// <summary>The cross-attention loss and its gradient with respect to the sample.</summary>
    public GuidanceModel Guidance => _lease.Sessions.Guidance;

    /// <summary>
    /// The UNet's noise prediction as the method runs it: the attention probe, asked for the noise alone.
    /// </summary>
    public INoisePredictor NoisePredictor => AttentionProbe;

    public void Dispose() => _lease.Dispose();
}
