using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Scheduling;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// pix2pix-zero on one model bundle, step for step as DESIGN.md §1.2: caption → text embeddings → regularized
/// inversion → reference and guided edit passes in lockstep → decode, at the processing size picked for the photo's
/// proportions (<see cref="ModelBundle.ProcessingSize"/>). Every UNet call goes through the compiled graphs whose
/// sessions <see cref="Sessions"/> holds. Each long method takes one step-end callback (<see cref="PipelineStep"/>).
/// </summary>
public sealed class Pix2PixZeroPipeline : IDisposable
{
    private readonly ModelBundle _bundle;

    /// <param name="sessionShapes">How many latent shapes' sessions are kept (<see cref="GuidanceSessions"/>).</param>
    public Pix2PixZeroPipeline(
        ModelBundle bundle,
        ILogger? log = null,
        int sessionShapes = GuidanceSessions.DefaultShapes
    )
    {
        _bundle = bundle;
        Sessions = new GuidanceSessions(bundle, log, sessionShapes);
        Scheduler = new DdimScheduler(bundle.SchedulerConfig);
        Prompts = new PromptEncoder(bundle);
        Latents = new LatentCodec(bundle);
    }

    public DdimScheduler Scheduler { get; }

    public PromptEncoder Prompts { get; }

    public LatentCodec Latents { get; }

    public ModelBundle Bundle => _bundle;

    /// <summary>The attention probe and guidance sessions, per latent shape.</summary>
    public GuidanceSessions Sessions { get; }

    /// <summary>The reference/edit loop on one latent shape's graphs.</summary>
    public CrossAttentionGuidedEditor CreateEditor(LatentGraphs graphs) =>
        new(graphs.AttentionProbe, graphs.Guidance, graphs.NoisePredictor, Scheduler);

    public RegularizedInversion CreateInversion(LatentGraphs graphs) => new(graphs.NoisePredictor, Scheduler);

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
    /// the decode. Returns each task's picture and record, whose stage times are those of
    /// <see cref="EditStage.Caption"/>, <see cref="EditStage.Directions"/>, <see cref="EditStage.Invert"/> and
    /// <see cref="EditStage.Edit"/>, the parts of each included; the caller disposes the pictures.
    /// </summary>
    public IReadOnlyList<EditedPicture> EditPhoto(
        PhotoEditRequest request,
        Action<PipelineStep>? onStepEnd = null,
        CancellationToken cancellationToken = default
    )
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stageSeconds = new Dictionary<string, double>();
        void Ended(EditStage stage)
        {
            stageSeconds[stage.Name] = Math.Round(clock.Elapsed.TotalSeconds, 3);
            clock.Restart();
        }

        var original = ImageCodec.SizeOf(request.Image);
        var size = _bundle.ProcessingSize(original, request.Size, request.SizeOption);
        var captionSource = request.Caption is null ? EditProvenance.BlipCaption : EditProvenance.UserCaption;
        var caption = request.Caption ?? Caption(request.Image, cancellationToken, size);
        onStepEnd?.Invoke(
            new PipelineStep(EditStage.Caption, 1, 1) { Caption = caption, CaptionSource = captionSource }
        );
        Ended(EditStage.Caption);
        var directions = Directions(request.Tasks, request.Sentences, request.Store, onStepEnd, cancellationToken);
        Ended(EditStage.Directions);
        var inverted = Invert(request.Image, caption, request.Options, onStepEnd, cancellationToken, size);
        Ended(EditStage.Invert);
        var images = Edit(inverted, directions, request.Options, onStepEnd, cancellationToken);
        if (request.ResizeToOriginal)
            images = [.. images.Select(ToOriginal)];
        Ended(EditStage.Edit);

        Image<Rgb24> ToOriginal(Image<Rgb24> image)
        {
            using (image)
                return ImageCodec.Resize(image, original);
        }

        var provenance = EditProvenance.OfPhoto(
            _bundle,
            Prompts.ModelId,
            request.Input,
            caption,
            captionSource,
            original,
            size,
            request.ResizeToOriginal,
            request.Sentences.Label
        );
        return request
            .Tasks.Zip(images, (task, image) =>
                new EditedPicture(task, image, EditRecord.Create(provenance, task.Name, request.Options, stageSeconds))
            )
            .ToList();
    }

    /// <summary>
    /// One direction per task, between the word means (from the store when computed before); a step per distinct
    /// word, announced with the word before it starts.
    /// </summary>
    public IReadOnlyList<EditDirection> Directions(
        IReadOnlyList<EditTask> tasks,
        SentenceSource sentences,
        DirectionStore store,
        Action<PipelineStep>? onStepEnd = null,
        CancellationToken cancellationToken = default
    )
    {
        var words = tasks.SelectMany(t => new[] { t.Source, t.Target }).Distinct().ToList();
        var means = new Dictionary<EditWord, WordMean>();
        foreach (var word in words)
        {
            onStepEnd?.Invoke(new PipelineStep(EditStage.Directions, means.Count, words.Count) { Word = word.Value });
            means[word] = WordMean(word.Value, sentences, store, cancellationToken);
        }
        if (words.Count > 0)
            onStepEnd?.Invoke(
                new PipelineStep(EditStage.Directions, words.Count, words.Count) { Word = words[^1].Value }
            );
        return tasks.Select(t => EditDirection.Between(means[t.Source], means[t.Target])).ToList();
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
    /// proportions): <see cref="EditStage.Encode"/>, then a step per UNet call.
    /// </summary>
    public InvertedImage Invert(
        Image<Rgb24> image,
        string caption,
        MethodParameters options,
        Action<PipelineStep>? onStepEnd = null,
        CancellationToken cancellationToken = default,
        PixelSize? size = null
    )
    {
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        onStepEnd?.Invoke(new PipelineStep(EditStage.Encode, 0, 1));
        var z0 = Latents.Encode(image, size);
        onStepEnd?.Invoke(new PipelineStep(EditStage.Encode, 1, 1));
        using var graphs = Sessions.Graphs(z0.Dimensions[2], z0.Dimensions[3]);
        var zT = CreateInversion(graphs)
            .Invert(
                z0,
                TextBatch(Prompts.Encode(caption)),
                options.Steps,
                options.Convention,
                new NoiseRegularizer(options.Regularizer),
                options.Seed,
                step =>
                {
                    NonFiniteCheck.InversionStep(step);
                    onStepEnd?.Invoke(
                        new PipelineStep(EditStage.Invert, step.Index + 1, step.Total) { Inversion = step }
                    );
                },
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
        Action<PipelineStep>? onStepEnd = null,
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
            onStepEnd,
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
        Action<PipelineStep>? onStepEnd = null,
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
            onStepEnd,
            cancellationToken,
            includeReference: true
        );
        return (images[^1], images.Take(images.Count - 1).ToArray());
    }

    public void Dispose() => Sessions.Dispose();

    private IReadOnlyList<Image<Rgb24>> EditFrom(
        DenseTensor<float> zT,
        float[] negative,
        float[] positive,
        IReadOnlyList<EditDirection> directions,
        MethodParameters options,
        bool synthetic,
        Action<PipelineStep>? onStepEnd,
        CancellationToken cancellationToken,
        bool includeReference = false
    )
    {
        var edited = directions.Select(d => WithDirection(positive, d, options.EditMultiplier)).ToArray();
        var rowShape = new[] { Prompts.SequenceLength, positive.Length / Prompts.SequenceLength };
        using var graphs = Sessions.Graphs(zT.Dimensions[2], zT.Dimensions[3]);
        var editor = CreateEditor(graphs);
        DenseTensor<float>? reference = null;
        var latents = editor.Edit(
            zT,
            new EditConditioning(negative, positive, edited, rowShape),
            options.Steps,
            options.GuidanceScale,
            options.EffectiveCrossAttentionGuidance(synthetic),
            step =>
            {
                NonFiniteCheck.EditStep(step);
                if (includeReference)
                    reference = new DenseTensor<float>(step.ReferenceLatent, zT.Dimensions);
                onStepEnd?.Invoke(new PipelineStep(EditStage.Edit, step.Index + 1, step.Total) { Edit = step });
            },
            cancellationToken
        );
        onStepEnd?.Invoke(new PipelineStep(EditStage.Decode, 0, latents.Count));
        var images = latents.Select(Latents.Decode).ToList();
        if (includeReference)
            images.Add(Latents.Decode(reference!));
        onStepEnd?.Invoke(new PipelineStep(EditStage.Decode, latents.Count, latents.Count));
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
}
