using System.CommandLine;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// <c>edit</c>, <c>generate</c>, <c>direction</c>, <c>demo</c> and <c>bench</c>: the method from the command line.
/// </summary>
public static class MethodCommands
{
    public const string DemoImage = "cat_1.png";

    public static IEnumerable<Command> Create() => [Caption(), Edit(), Generate(), Direction(), Demo(), Bench()];

    private static Command Caption()
    {
        var options = new MethodCommandOptions();
        var image = Photo("the photo to describe");
        var command = new Command(
            "caption",
            "Describe a photo with the model folder's BLIP captioner, as the edit would"
        )
        {
            image,
        };
        command.Options.Add(options.Model);
        command.Options.Add(options.Provider);
        command.SetAction((result, ct) => Run(ct, () =>
                {
                    var provider = options.CheckProvider(result);
                    using var photo = PhotoSource.Of(result.GetValue(image)!).Load();
                    using var bundle = ModelBundle.Open(
                        options.ModelDirectory(result),
                        CudaEnvironment.Factory(provider)
                    );
                    using var pipeline = new Pix2PixZeroPipeline(bundle);
                    Console.WriteLine(pipeline.Caption(photo, ct));
                }));
        return command;
    }

    private static Argument<string> Photo(string what) =>
        new("image") { Description = $"{what} (PNG, JPEG or WebP; - reads it from standard input)" };

    private static Option<string[]> Tasks() =>
        new("--task", "-t")
        {
            Description = "edit task as source2target (e.g. cat2dog) or source:target; repeat for several",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };

    private static Command Edit()
    {
        var options = new MethodCommandOptions();
        var image = Photo("the photo to edit");
        var tasks = Tasks();
        var caption = new Option<string?>("--caption")
        {
            Description = "describe the photo yourself instead of captioning it with BLIP",
        };
        var command = new Command("edit", "Edit a photo: invert it, then translate source → target for each task")
        {
            image,
            tasks,
            caption,
        };
        options.AddTo(command);
        command.Options.Add(options.OriginalSize);
        command.SetAction((result, ct) => Run(ct, () =>
                {
                    if (result.GetValue(caption) is { } given && string.IsNullOrWhiteSpace(given))
                        throw new InvalidOptionException(
                            caption.Name,
                            $"\"{given}\"",
                            "describe the photo in words, or leave --caption out to have BLIP caption it"
                        );
                    var (edits, (method, sentences, output)) = (
                        ParseTasks(result.GetValue(tasks)),
                        options.Checked(result)
                    );
                    Runner(options, result, options.ModelDirectory(result), sentences)
                        .EditImage(
                            PhotoSource.Of(result.GetValue(image)!),
                            edits,
                            result.GetValue(caption),
                            method,
                            output,
                            ct,
                            result.GetValue(options.OriginalSize)
                        );
                }));
        return command;
    }

    private static Command Generate()
    {
        var options = new MethodCommandOptions();
        var prompt = new Option<string>("--prompt", "-p") { Description = "what to generate", Required = true };
        var tasks = Tasks();
        var command = new Command("generate", "Synthetic mode: generate an image from a prompt and seed, and its edits")
        {
            prompt,
            tasks,
        };
        options.AddTo(command);
        command.SetAction((result, ct) => Run(ct, () =>
                {
                    var (edits, (method, sentences, output)) = (
                        ParseTasks(result.GetValue(tasks)),
                        options.Checked(result)
                    );
                    Runner(options, result, options.ModelDirectory(result), sentences)
                        .Generate(result.GetValue(prompt)!, edits, method, output, ct);
                }));
        return command;
    }

    private static Command Direction()
    {
        var options = new MethodCommandOptions();
        var word = new Argument<string>("word") { Description = "the word whose mean embedding to compute and cache" };
        var file = new Option<FileInfo?>("--sentences-file")
        {
            Description = "use these sentences (one per line) instead of the built-in generator",
        };
        var command = new Command(
            "direction",
            "Compute and cache the mean text embedding of a word (edit directions are differences of two)"
        )
        {
            word,
            file,
        };
        command.Options.Add(options.Model);
        command.Options.Add(options.Provider);
        command.Options.Add(options.Sentences);
        command.Options.Add(options.Directions);
        command.SetAction((result, ct) => Run(ct, () =>
                {
                    var parsed = EditWord.Parse(result.GetValue(word));
                    SentenceSource source = result.GetValue(file) is { } f
                        ? new SentenceSource.UserFile(f.FullName)
                        : new SentenceSource.BuiltIn(options.SentenceCount(result));
                    // The sentences are read (and a file that is no sentence file refused) before the model loads.
                    source.LoadSentences(parsed);
                    var (provider, store) = (
                        options.CheckProvider(result),
                        new DirectionStore(options.DirectionCache(result))
                    );
                    using var bundle = ModelBundle.Open(
                        options.ModelDirectory(result),
                        CudaEnvironment.Factory(provider)
                    );
                    using var pipeline = new Pix2PixZeroPipeline(bundle);
                    var mean = pipeline.WordMean(result.GetValue(word)!, source, store, ct);
                    Console.WriteLine(
                        $"{mean.Word.Value}: mean of {mean.SentenceCount} sentences, "
                            + $"[{mean.Rows}, {mean.Width}], model {mean.ModelId}"
                    );
                    Console.WriteLine($"stored at {store.PathFor(mean.ModelId, mean.Word, mean.SentenceSetHash)}");
                }));
        return command;
    }

    private static Command Demo()
    {
        var options = new MethodCommandOptions();
        var command = new Command(
            "demo",
            "Run the whole method on the bundled tiny test model (its output is noise: random weights)"
        );
        options.AddTo(command, demo: true);
        command.Options.Add(options.OriginalSize);
        command.SetAction((result, ct) => Run(ct, () =>
                {
                    var (method, sentences, output) = options.Checked(result);
                    var (model, image) = DemoInputs(result.GetValue(options.DemoModel));
                    Console.Error.WriteLine(
                        "Demo on the tiny random-weight test model: it exercises "
                            + "every stage of pix2pix-zero, but its pictures are noise."
                    );
                    Console.Error.WriteLine(
                        "For real edits: pix2pix-zero edit <photo> --task "
                            + "cat2dog --model <Stable Diffusion 1.x ONNX folder>."
                    );
                    var pictures = Runner(options, result, model, sentences)
                        .EditImage(
                            PhotoSource.Of(image),
                            [EditTask.Parse("cat2dog")],
                            caption: null,
                            method,
                            output,
                            ct,
                            result.GetValue(options.OriginalSize)
                        );
                    foreach (var picture in pictures)
                        Console.WriteLine(
                            $"output: {picture} (the edited picture) "
                                + $"and {Path.ChangeExtension(picture, ".json")} (its record: caption, "
                                + "directions, every hyperparameter, model, provider, seconds per stage)"
                        );
                }));
        return command;
    }

    private static Command Bench()
    {
        var options = new MethodCommandOptions();
        var image = new Option<string?>("--image")
        {
            Description = "photo to edit (default: the demo photo; - reads it from standard input)",
        };
        var caption = new Option<string?>("--caption")
        {
            Description = "describe the photo instead of captioning it (for models without a captioner)",
        };
        var command = new Command(
            "bench",
            "Time one cat2dog edit stage by stage and graph by graph, and "
                + "report peak memory (bench guidance: the guidance graphs alone)"
        )
        {
            image,
            caption,
        };
        options.AddTo(command, demo: true);
        command.Options.Add(options.OriginalSize);
        command.SetAction((result, ct) => Run(ct, () =>
                {
                    var (editOptions, sentences, output) = options.Checked(result);
                    var (model, demoImage) = DemoInputs(result.GetValue(options.DemoModel));
                    var runner = Runner(options, result, model, sentences);
                    using var graphRuns = new GraphRunTimes();
                    runner.EditImage(
                        PhotoSource.Of(result.GetValue(image) ?? demoImage),
                        [EditTask.Parse("cat2dog")],
                        result.GetValue(caption),
                        editOptions,
                        output,
                        ct,
                        result.GetValue(options.OriginalSize)
                    );
                    Console.WriteLine(
                        $"model {model}, photo {runner.OriginalSize}, processed at {runner.ProcessingSize}, "
                            + $"{editOptions.Steps} steps, provider {runner.Provider}"
                    );
                    Console.WriteLine($"{"stage", -12} {"seconds", 9} {"peak MiB", 9}");
                    foreach (var (stage, seconds, peak) in runner.Stages)
                        Console.WriteLine($"{stage.Name, -12} {seconds, 9:F2} {peak, 9:F0}");
                    Console.WriteLine($"{"total", -12} {runner.Stages.Sum(s => s.Seconds), 9:F2}");
                    Console.WriteLine($"{"graph run", -48} {"runs", 5} {"first ms", 10} {"later ms/run", 13}");
                    foreach (var (graph, outputs, batch, runs, first, later) in graphRuns.Runs)
                        Console.WriteLine(
                            $"{$"{graph} → {outputs}, batch {batch}", -48} {runs, 5} "
                                + $"{first, 10:F1} {(later is { } ms ? ms.ToString("F1") : "-"), 13}"
                        );
                    if (runner.AllocatedBytesPerEditStep is { } allocated)
                        Console.WriteLine(
                            $"managed allocation per edit step {allocated / 1024:F1} KiB (mean of steps 2–"
                                + $"{editOptions.Steps})"
                        );
                    Console.WriteLine($"peak RSS {PeakMemory.ResidentMiB():F0} MiB");
                }));
        command.Subcommands.Add(BenchGuidance());
        return command;
    }

    private static Command BenchGuidance()
    {
        var options = new MethodCommandOptions();
        var runs = new Option<int>("--runs")
        {
            Description = "timed runs per graph (the median is printed)",
            DefaultValueFactory = _ => 5,
        };
        var size = new Option<int?>("--size")
        {
            Description = "side of the square latent's image in pixels, a multiple of 64 (default: the model's)",
        };
        var profile = new Option<DirectoryInfo?>("--profile")
        {
            Description =
                "then profile the forward and the guidance run with ONNX Runtime's profiler: JSON traces into "
                + "this folder and a table of kernel time by op type",
        };
        var command = new Command(
            "guidance",
            "Compile the guidance graphs and time a UNet forward, an attention-probe run and a guidance run"
        )
        {
            runs,
            size,
            profile,
        };
        command.Options.Add(options.DemoModel);
        command.Options.Add(options.Provider);
        command.SetAction((result, ct) => Run(ct, () =>
                {
                    if (result.GetValue(runs) is < 1 or > 1000)
                        throw new InvalidOptionException("--runs", result.GetValue(runs), "use 1..1000");
                    var side = result.GetValue(size) is { } s ? ModelBundle.CheckImageSize(s, "--size") : (int?)null;
                    GuidanceBenchmark.Run(
                        DemoInputs(result.GetValue(options.DemoModel)).Model,
                        options.CheckProvider(result),
                        result.GetValue(runs),
                        side,
                        Console.Out,
                        result.GetValue(profile)?.FullName
                    );
                }));
        return command;
    }

    private static EditRunner Runner(MethodCommandOptions options, ParseResult result, string model, int sentences) =>
        new(
            model,
            options.CheckProvider(result),
            options.DirectionCache(result),
            sentences,
            Console.Out,
            new ConsoleProgress().OnStepEnd,
            options.ImageSize(result)
        );

    private static List<EditTask> ParseTasks(string[]? tasks) => EditTask.ParseDistinct(tasks ?? []);

    /// <summary>
    /// The demo's model (the tiny one that ships in the program's <c>demo/</c> folder, unless one is named) and photo
    /// (the repository's cat photo, data/images/cat_1.png, shipped beside it).
    /// </summary>
    private static (string Model, string Image) DemoInputs(DirectoryInfo? model)
    {
        var demo = Path.Combine(AppContext.BaseDirectory, "demo");
        var bundle = Path.Combine(demo, "tiny-sd");
        var photo = Path.Combine(demo, DemoImage);
        if ((model is null && !Directory.Exists(bundle)) || !File.Exists(photo))
            throw new InvalidInputException(
                $"the demo's files are missing from {demo}; build the CLI again"
                    + (model is null ? ", or name a model folder with --model" : "")
            );
        return (model?.FullName ?? bundle, photo);
    }

    private static Task<int> Run(CancellationToken cancellationToken, Action action) =>
        CommandLine.RunAsync(() => Task.Run(action, CancellationToken.None), cancellationToken);
}
