using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// Runs the method for the command line: one image (or prompt), several tasks, PNG + JSON record per result.
/// </summary>
public sealed class EditRunner(
    string modelDirectory,
    ExecutionProvider provider,
    string directionCache,
    int sentences,
    TextWriter output,
    Action<PipelineStep> onStepEnd,
    int? imageSize = null
)
{
    /// <summary>Seconds and peak resident memory (MiB) at the end of each stage, for <c>bench</c>.</summary>
    public List<(EditStage Stage, double Seconds, double PeakMiB)> Stages { get; } = [];

    // The peak memory at the last step seen of each stage the pipeline times, its parts' steps included.
    private readonly Dictionary<EditStage, double> _peaks = [];

    // The model's own image side is known once it loads; before, free space is checked for 1024² pictures (SD 1.x
    // works at 512², SD 2 at 768²).
    private const int UnknownSide = 1024;

    // The process's managed bytes allocated so far, at the end of each lockstep edit step.
    private readonly List<long> _allocatedAtEditStep = [];

    /// <summary>
    /// Managed bytes the process allocated per lockstep edit step, the mean of the steps after the first (which pays
    /// for the edit's bound buffers); null with fewer than two steps.
    /// </summary>
    public double? AllocatedBytesPerEditStep =>
        _allocatedAtEditStep.Count < 2
            ? null
            : (double)(_allocatedAtEditStep[^1] - _allocatedAtEditStep[0]) / (_allocatedAtEditStep.Count - 1);

    /// <summary>The size the last run worked at.</summary>
    public PixelSize ProcessingSize { get; private set; }

    /// <summary>The last edited photo's own size.</summary>
    public PixelSize? OriginalSize { get; private set; }

    /// <summary>The execution provider the sessions run on ("Cuda" or "Cpu"), once a run has created them.</summary>
    public string Provider { get; private set; } = "?";

    public IReadOnlyList<string> EditImage(
        PhotoSource photo,
        IReadOnlyList<EditTask> tasks,
        string? caption,
        MethodParameters options,
        string outputDirectory,
        CancellationToken cancellationToken,
        bool resizeToOriginal = false
    )
    {
        using var loggers = CommandLine.Logging(verbose: false);
        var clock = Stopwatch.StartNew();
        using var image = photo.Load();
        var files = Plan(
            outputDirectory,
            photo.Stem,
            tasks,
            reference: false,
            $"the photo's name \"{InputText.Shorten(photo.Stem)}\""
        );
        using var bundle = OpenBundle(loggers);
        using var pipeline = new Pix2PixZeroPipeline(bundle, loggers.CreateLogger("pipeline"));
        Mark(EditStage.Load, clock);

        var request = new PhotoEditRequest(
            image,
            photo.Name,
            tasks,
            options,
            Sentences,
            new DirectionStore(directionCache)
        )
        {
            Caption = caption,
            Size = imageSize,
            SizeOption = "--size",
            ResizeToOriginal = resizeToOriginal,
        };
        var pictures = pipeline.EditPhoto(request, OnStepEnd, cancellationToken);
        var record = pictures[0].Record;
        ProcessingSize = new PixelSize(record.ProcessingWidth, record.ProcessingHeight);
        OriginalSize = ImageCodec.SizeOf(image);
        Provider = record.Provider;
        // The pipeline's stage times, after the load stage, which the pipeline does not see.
        foreach (var stage in record.StageSeconds.Keys.Select(EditStage.Parse))
            Stages.Add((stage, record.StageSeconds[stage.Name], _peaks[stage]));
        var stageSeconds = StageSeconds();
        return Write(files, null, [.. pictures.Select(p => p.Image)], i =>
            pictures[i].Record with
            {
                StageSeconds = stageSeconds,
            }
        );
    }

    public IReadOnlyList<string> Generate(
        string prompt,
        IReadOnlyList<EditTask> tasks,
        MethodParameters options,
        string outputDirectory,
        CancellationToken cancellationToken
    )
    {
        using var loggers = CommandLine.Logging(verbose: false);
        var clock = Stopwatch.StartNew();
        var files = Plan(outputDirectory, $"seed{options.Seed}", tasks, reference: true, "--seed");
        using var bundle = OpenBundle(loggers);
        using var pipeline = new Pix2PixZeroPipeline(bundle, loggers.CreateLogger("pipeline"));
        var directions = pipeline.Directions(
            tasks,
            Sentences,
            new DirectionStore(directionCache),
            onStepEnd,
            cancellationToken
        );
        Mark(EditStage.Directions, clock);
        ProcessingSize = imageSize is { } side
            ? bundle.ProcessingSize(new PixelSize(side, side), side, "--size")
            : bundle.ProcessingSize(new PixelSize(bundle.ImageSize, bundle.ImageSize));
        OriginalSize = null;
        var (reference, edits) = pipeline.Generate(
            prompt,
            directions,
            options,
            onStepEnd,
            cancellationToken,
            ProcessingSize
        );
        Mark(EditStage.Generate, clock);
        var provenance = EditProvenance.OfPrompt(
            bundle,
            pipeline.Prompts.ModelId,
            prompt,
            ProcessingSize,
            Sentences.Label
        );
        Provider = provenance.Provider;
        return Write(files, reference, edits, i =>
            EditRecord.Create(provenance, tasks[i].Name, options, StageSeconds())
        );
    }

    /// <summary>
    /// The result files of a run (<c>{stem}.{task}.png</c> and its <c>.json</c> record per task, after the reference
    /// picture of a generated image), checked before the model loads.
    /// </summary>
    private ResultFiles Plan(string folder, string stem, IReadOnlyList<EditTask> tasks, bool reference, string from)
    {
        var side = imageSize ?? UnknownSide;
        List<string> names = reference ? [$"{stem}.reference.png"] : [];
        foreach (var task in tasks)
            names.AddRange([$"{stem}.{task.Name}.png", $"{stem}.{task.Name}.json"]);
        return ResultFiles.Plan(
            folder,
            names,
            $"{from} and the task names",
            (tasks.Count + (reference ? 1 : 0)) * ResultFiles.PictureBytes(side) + tasks.Count * ResultFiles.RecordBytes
        );
    }

    private ModelBundle OpenBundle(ILoggerFactory loggers) =>
        ModelBundle.Open(modelDirectory, CudaEnvironment.Factory(provider, loggers.CreateLogger("onnx")));

    private SentenceSource.BuiltIn Sentences => new(sentences);

    private List<string> Write(
        ResultFiles files,
        Image<Rgb24>? reference,
        IReadOnlyList<Image<Rgb24>> edits,
        Func<int, EditRecord> record
    )
    {
        var content = new Dictionary<string, byte[]>();
        var names = new Queue<string>(files.Names);
        var pictures = new List<string>();
        if (reference is not null)
            using (reference)
                content[Add(names.Dequeue())] = ImageCodec.EncodePng(reference);
        for (var i = 0; i < edits.Count; i++)
        {
            using (edits[i])
                content[Add(names.Dequeue())] = ImageCodec.EncodePng(edits[i]);
            content[names.Dequeue()] = System.Text.Encoding.UTF8.GetBytes(record(i).ToJson());
        }
        files.Write(name => content[name]);
        foreach (var picture in pictures)
            output.WriteLine($"wrote {picture}");
        return pictures;

        string Add(string name)
        {
            pictures.Add(files.PathOf(name));
            return name;
        }
    }

    private void OnStepEnd(PipelineStep step)
    {
        if (step.Caption is { } text)
            output.WriteLine($"caption ({step.CaptionSource}): {text}");
        _peaks[step.Stage.Timed] = PeakMemory.ResidentMiB();
        if (step.Edit is not null)
            _allocatedAtEditStep.Add(GC.GetTotalAllocatedBytes(precise: true));
        onStepEnd(step);
    }

    private void Mark(EditStage stage, Stopwatch clock)
    {
        Stages.Add((stage, clock.Elapsed.TotalSeconds, PeakMemory.ResidentMiB()));
        clock.Restart();
    }

    private Dictionary<string, double> StageSeconds() =>
        Stages.ToDictionary(s => s.Stage.Name, s => Math.Round(s.Seconds, 3));
}
