using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Serialization;

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
    IProgress<PipelineProgress> progress,
    int? imageSize = null
)
{
    /// <summary>Seconds and peak working set (MiB) after each stage, for <c>bench</c>.</summary>
    public List<(string Stage, double Seconds, double PeakMiB)> Stages { get; } = [];

    /// <summary>Each graph's runs in the last edit, by what was asked and the batch, for <c>bench</c>.</summary>
    public List<(
        string Graph,
        string Outputs,
        long Batch,
        int Runs,
        double FirstMilliseconds,
        double? LaterMillisecondsPerRun
    )> GraphRuns { get; } = [];

    /// <summary>The size the last run worked at.</summary>
    public PixelSize ProcessingSize { get; private set; }

    /// <summary>The last edited photo's own size.</summary>
    public PixelSize? OriginalSize { get; private set; }

    /// <summary>The execution provider the sessions run on ("Cuda" or "Cpu"), once a run has created them.</summary>
    public string Provider { get; private set; } = "?";

    public IReadOnlyList<string> EditImage(
        string imagePath,
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
        using var image = ImageCodec.Load(imagePath);
        using var bundle = OpenBundle(loggers);
        using var pipeline = new Pix2PixZeroPipeline(bundle, loggers.CreateLogger("pipeline"));
        Mark("load", clock);

        var request = new PhotoEditRequest(
            image,
            Path.GetFullPath(imagePath),
            tasks,
            options,
            Sentences,
            new DirectionStore(directionCache)
        )
        {
            Caption = caption,
            Captioned = (text, source) => output.WriteLine($"caption ({source}): {text}"),
            StageEnded = Mark,
            Size = imageSize,
            SizeOption = "--size",
            ResizeToOriginal = resizeToOriginal,
        };
        var pictures = pipeline.EditPhoto(request, progress, cancellationToken);
        var record = pictures[0].Record;
        ProcessingSize = new PixelSize(record.ProcessingWidth, record.ProcessingHeight);
        OriginalSize = ImageCodec.SizeOf(image);
        CollectGraphRuns(bundle, pipeline);
        Provider = bundle.Sessions.ActiveProvider?.ToString() ?? "?";
        // The pipeline's stage times, with the load stage before them, which the pipeline does not see.
        var stageSeconds = StageSeconds();
        return Write(
            [.. pictures.Select(p => p.Image)],
            tasks,
            outputDirectory,
            Path.GetFileNameWithoutExtension(imagePath),
            i => pictures[i].Record with { StageSeconds = stageSeconds }
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
        using var bundle = OpenBundle(loggers);
        using var pipeline = new Pix2PixZeroPipeline(bundle, loggers.CreateLogger("pipeline"));
        var directions = pipeline.Directions(
            tasks,
            Sentences,
            new DirectionStore(directionCache),
            progress,
            cancellationToken
        );
        Mark("directions", clock);
        ProcessingSize = imageSize is { } side
            ? bundle.ProcessingSize(new PixelSize(side, side), side, "--size")
            : bundle.ProcessingSize(new PixelSize(bundle.ImageSize, bundle.ImageSize));
        OriginalSize = null;
        var (reference, edits) = pipeline.Generate(
            prompt,
            directions,
            options,
            progress,
            cancellationToken,
            ProcessingSize
        );
        Mark("generate", clock);
        var stem = $"seed{options.Seed}";
        Provider = bundle.Sessions.ActiveProvider?.ToString() ?? "?";
        Directory.CreateDirectory(outputDirectory);
        var referencePath = Path.Combine(outputDirectory, $"{stem}.reference.png");
        using (reference)
            AtomicFile.WriteAllBytes(referencePath, ImageCodec.EncodePng(reference));
        output.WriteLine($"wrote {referencePath}");
        var provenance = new EditProvenance(
            Synthetic: true,
            Input: null,
            Prompt: prompt,
            Caption: prompt,
            CaptionSource: "prompt",
            ModelDirectory: bundle.Directory,
            ModelId: pipeline.Prompts.ModelId,
            Provider: Provider,
            Original: null,
            Processing: ProcessingSize,
            Result: ProcessingSize,
            DirectionSentences: Sentences.Label
        );
        return
        [
            referencePath,
            .. Write(edits, tasks, outputDirectory, stem, i =>
                EditRecord.Create(provenance, tasks[i].Name, options, StageSeconds())
            ),
        ];
    }

    private ModelBundle OpenBundle(ILoggerFactory loggers) =>
        ModelBundle.Open(modelDirectory, new OnnxSessionFactory(provider, loggers.CreateLogger("onnx")));

    private SentenceSource.BuiltIn Sentences => new(sentences);

    private List<string> Write(
        IReadOnlyList<SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>> images,
        IReadOnlyList<EditTask> tasks,
        string outputDirectory,
        string stem,
        Func<int, EditRecord> record
    )
    {
        Directory.CreateDirectory(outputDirectory);
        var paths = new List<string>();
        for (var i = 0; i < images.Count; i++)
        {
            var path = Path.Combine(outputDirectory, $"{stem}.{tasks[i].Name}.png");
            AtomicFile.WriteAllBytes(path, ImageCodec.EncodePng(images[i]));
            AtomicFile.WriteAllText(Path.ChangeExtension(path, ".json"), record(i).ToJson());
            images[i].Dispose();
            output.WriteLine($"wrote {path}");
            paths.Add(path);
        }
        return paths;
    }

    private void CollectGraphRuns(ModelBundle bundle, Pix2PixZeroPipeline pipeline)
    {
        GraphRuns.Clear();
        using var graphs = pipeline.Graphs(
            ProcessingSize.Height / bundle.VaeScale,
            ProcessingSize.Width / bundle.VaeScale
        );
        foreach (
            var (graph, model) in new (string, OnnxModel)[]
            {
                ("text encoder", bundle.TextEncoder),
                ("VAE encoder", bundle.VaeEncoder),
                ("attention probe", graphs.AttentionProbe),
                ("guidance", graphs.Guidance),
                ("VAE decoder", bundle.VaeDecoder),
            }
        )
        foreach (var ((outputs, batch), (runs, first, time)) in model.RunTimes.OrderBy(r => r.Key.Batch))
            GraphRuns.Add(
                (
                    graph,
                    outputs,
                    batch,
                    runs,
                    first.TotalMilliseconds,
                    runs > 1 ? (time - first).TotalMilliseconds / (runs - 1) : null
                )
            );
    }

    private void Mark(string stage, Stopwatch clock)
    {
        Mark(stage, clock.Elapsed);
        clock.Restart();
    }

    private void Mark(string stage, TimeSpan elapsed) =>
        Stages.Add((stage, elapsed.TotalSeconds, Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0));

    private Dictionary<string, double> StageSeconds() =>
        Stages.ToDictionary(s => s.Stage, s => Math.Round(s.Seconds, 3));
}
