using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// <c>models inspect &lt;dir&gt;</c>: loads a bundle and prints its graphs, shapes, types, provider and problems.
/// <c>models pull &lt;name&gt;</c>: downloads a bundle from the Hugging Face hub (or a mirror) and compiles its
/// guidance graphs.
/// <c>models prepare &lt;dir&gt;</c>: compiles the guidance graphs of a bundle already on disk.
/// </summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var models = new Command(
            "models",
            "Inspect and prepare Stable Diffusion model folders (diffusers ONNX layout)"
        );
        models.Subcommands.Add(Inspect());
        models.Subcommands.Add(Pull());
        models.Subcommands.Add(PrepareCommand());
        return models;
    }

    private static Command PrepareCommand()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "the model folder" };
        var force = new Option<bool>("--force")
        {
            Description = "recompile even when the cached graphs match the UNet",
        };
        var provider = new Option<ExecutionProvider>("--provider")
        {
            Description = "execution provider for the compiler's UNet run: Auto, Cpu or Cuda",
            DefaultValueFactory = _ => ExecutionProvider.Auto,
        };
        var command = new Command(
            "prepare",
            "Compile the attention-probe and guidance graphs beside "
                + "the UNet (cached by its hash) and print what was found"
        )
        {
            dir,
            force,
            provider,
        };
        command.SetAction(result =>
        {
            Prepare(result.GetValue(dir)!.FullName, result.GetValue(provider), result.GetValue(force), Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Inspect()
    {
        var dir = new Argument<DirectoryInfo>("dir")
        {
            Description =
                "the model folder (model_index.json, unet/, text_encoder/, "
                + "vae_encoder/, vae_decoder/, tokenizer/, scheduler/)",
        };
        var provider = new Option<ExecutionProvider>("--provider")
        {
            Description = "execution provider: Auto (CUDA, else CPU), Cpu or Cuda",
            DefaultValueFactory = _ => ExecutionProvider.Auto,
        };
        var command = new Command(
            "inspect",
            "Load a model folder and print its components, shapes, types, provider and problems"
        )
        {
            dir,
            provider,
        };
        command.SetAction(result => Run(result.GetValue(dir)!.FullName, result.GetValue(provider), Console.Out));
        return command;
    }

    private static Command Pull()
    {
        var name = new Argument<string>("name")
        {
            Description =
                "sd14 (CompVis/stable-diffusion-v1-4@onnx, the paper's model), sd15 "
                + "(onnx-community/stable-diffusion-v1-5-ONNX), or owner/repo[@revision]",
        };
        var dir = new Option<DirectoryInfo?>("--dir")
        {
            Description = "where to put the bundle (default ~/.cache/pix2pix-zero/models/<name>)",
        };
        var revision = new Option<string?>("--revision")
        {
            Description = "branch, tag or commit (replaces the name's revision)",
        };
        var mirror = new Option<string?>("--mirror")
        {
            Description =
                $"hub mirror with the same URL shape (default $HF_ENDPOINT, else {PullOptions.DefaultEndpoint})",
        };
        var token = new Option<string?>("--token")
        {
            Description = "Hugging Face access token for gated or private repositories (default $HF_TOKEN)",
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds without data before an attempt fails and is retried (resuming)",
            DefaultValueFactory = _ => new PullOptions().Timeout.TotalSeconds,
        };
        var provider = new Option<ExecutionProvider>("--provider")
        {
            Description = "execution provider for the guidance compiler's UNet run: Auto, Cpu or Cuda",
            DefaultValueFactory = _ => ExecutionProvider.Auto,
        };
        var command = new Command(
            "pull",
            "Download a Stable Diffusion bundle (diffusers ONNX layout) from "
                + "the Hugging Face hub, verify it and compile its guidance graphs"
        )
        {
            name,
            dir,
            revision,
            mirror,
            token,
            timeout,
            provider,
        };
        command.SetAction(
            (result, ct) =>
                CommandLine.RunAsync(
                    async () =>
                    {
                        var model = HubModelReference.Parse(result.GetValue(name)!, result.GetValue(revision));
                        var options = new PullOptions
                        {
                            Endpoint = result.GetValue(mirror)
                                ?? NonEmpty(Environment.GetEnvironmentVariable("HF_ENDPOINT"))
                                ?? PullOptions.DefaultEndpoint,
                            Token = result.GetValue(token) ?? NonEmpty(Environment.GetEnvironmentVariable("HF_TOKEN")),
                            Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
                        };
                        var directory = result.GetValue(dir)?.FullName
                            ?? Path.Combine(CommandLine.CacheFolder("models"), model.FolderName);
                        await PullAsync(
                            model,
                            directory,
                            options,
                            result.GetValue(provider),
                            Console.Out,
                            new ConsolePullProgress(),
                            ct
                        );
                    },
                    ct
                )
        );
        return command;
    }

    /// <summary>
    /// Pulls <paramref name="model"/> into <paramref name="directory"/>,
    /// then compiles the guidance graphs and prints what they hold.
    /// </summary>
    public static async Task PullAsync(
        HubModelReference model,
        string directory,
        PullOptions options,
        ExecutionProvider provider,
        TextWriter output,
        IProgress<PullProgress>? progress,
        CancellationToken cancellationToken
    )
    {
        _ = CudaEnvironment.Options; // a bad CUDA variable is refused before the download, not after
        using var loggers = CommandLine.Logging(verbose: false);
        var pull = await new ModelPuller(options, loggers.CreateLogger("pull")).PullAsync(
            model,
            directory,
            progress,
            cancellationToken
        );
        var size = ModelPuller.FormatBytes(pull.Files.Sum(f => f.Size ?? 0));
        output.WriteLine(
            pull.UpToDate
                ? $"{pull.Directory} is up to date with {model} (commit {pull.Listing.Commit}): nothing downloaded"
                : $"Pulled {model} (commit {pull.Listing.Commit}) into {pull.Directory}: {pull.Files.Count} "
                    + $"of the repository's {pull.Listing.Files.Count} files, "
                    + $"{size} ({ModelPuller.FormatBytes(pull.DownloadedBytes)}"
                    + " downloaded), sizes and checksums verified"
        );

        Prepare(pull.Directory, provider, force: false, output);
        output.WriteLine($"next: pix2pix-zero edit <photo> --task cat2dog --model {pull.Directory}");
    }

    /// <summary>Compiles (or takes from the cache) the guidance graphs of a bundle and prints what they hold.</summary>
    public static void Prepare(string directory, ExecutionProvider provider, bool force, TextWriter output)
    {
        using var loggers = CommandLine.Logging(verbose: false);
        using var bundle = ModelBundle.Open(directory, CudaEnvironment.Factory(provider, loggers.CreateLogger("onnx")));
        using var sessions = new GuidanceSessions(bundle, loggers.CreateLogger("compiler"));
        var graphs = sessions.Prepare(force);
        output.WriteLine(
            $"guidance graphs: {graphs.Layers.Count} cross-attention layers "
                + $"in the {(graphs.SourceIsDynamic ? "dynamic" : "static")} UNet"
                + (
                    graphs.FromCache
                        ? " (compiled before, taken from the cache)"
                        : $", compiled in {graphs.Timings.Total.TotalSeconds:F1} s"
                )
        );
        foreach (
            var group in graphs.Layers.GroupBy(l => l.Shape is { } shape ? "[" + string.Join(",", shape) + "]" : "[?]")
        )
            output.WriteLine($"    {group.Count()} × {group.Key}");
        output.WriteLine($"    {Shown(bundle, graphs.AttentionProbePath)}, {Shown(bundle, graphs.GuidancePath)}");
        output.WriteLine(
            bundle.HasCaptioner
                ? "captioner: BLIP (captioner/)"
                : "captioner: none; pass --caption to edit, or export BLIP into "
                    + "captioner/ with tools/export-captioner (README: \"Use the real model\")"
        );
    }

    // Inside the model folder relative to it, elsewhere (the graph cache) in full.
    private static string Shown(ModelBundle bundle, string path) =>
        FileTarget.IsUnder(path, bundle.Directory) ? Path.GetRelativePath(bundle.Directory, path) : path;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    public static int Run(string directory, ExecutionProvider provider, TextWriter output)
    {
        _ = CudaEnvironment.Options; // a usage error, refused before the report starts
        output.WriteLine($"Model folder: {directory}");
        var problems = ModelBundleValidator.Validate(directory);
        if (problems.Count > 0)
        {
            output.WriteLine($"Problems ({problems.Count}):");
            foreach (var problem in problems)
                output.WriteLine($"  - {problem.Message}");
            return CommandLine.UserError;
        }

        using var loggers = CommandLine.Logging(verbose: false);
        var sessions = CudaEnvironment.Factory(provider, loggers.CreateLogger("onnx"));
        using var bundle = ModelBundle.Open(directory, sessions);
        output.WriteLine(
            BundleLayout.HubCacheRepository(bundle.Directory) is { } repository
                ? $"layout: a Hugging Face cache snapshot; every link stays inside {Path.GetFileName(repository)}"
                : "layout: a plain folder"
        );
        var unet = bundle.GraphPath(BundleComponent.Unet);
        var (graphs, compiled) = GuidanceGraphCompiler.Location(unet, bundle.GraphCache);
        output.WriteLine(
            (compiled, graphs == Path.GetDirectoryName(unet)) switch
            {
                (true, true) => "compiled graphs: up to date beside the UNet (unet/)",
                (true, false) => $"compiled graphs: up to date in the graph cache, {graphs}",
                (false, true) => "compiled graphs: not yet; they will be written beside the UNet (unet/ is writable)",
                (false, false) => $"compiled graphs: not yet; unet/ is read-only, so they will be written to the "
                    + $"graph cache, {graphs} (${GraphCache.Variable} moves it)",
            }
        );
        var clock = Stopwatch.StartNew();
        Describe(output, BundleComponent.TextEncoder, bundle.TextEncoder);
        Describe(output, BundleComponent.Unet, bundle.Unet);
        Describe(output, BundleComponent.VaeEncoder, bundle.VaeEncoder);
        if (bundle.VaeEncoder.RewrittenFromSampling)
            output.WriteLine("    note: the export samples the latent; it is rewritten to return the posterior mean");
        Describe(output, BundleComponent.VaeDecoder, bundle.VaeDecoder);
        output.WriteLine(
            bundle.HasCaptioner
                ? $"captioner: BLIP, {bundle.Captioner.Options.NumBeams}"
                    + $" beams, prompt \"{bundle.Captioner.Options.Prompt}\""
                : "captioner: none (captions must be given)"
        );

        output.WriteLine($"tokenizer: CLIP BPE, {bundle.Tokenizer.VocabularySize:N0} tokens");
        output.WriteLine($"scheduler: {bundle.SchedulerConfig.Describe()}");
        output.WriteLine(
            $"image: {bundle.ImageSize}×{bundle.ImageSize}, latent {bundle.LatentChannels}×"
                + $"{bundle.LatentSize}×{bundle.LatentSize}, scaling factor {bundle.ScalingFactor}"
        );
        output.WriteLine(
            $"unet timestep: {bundle.Unet.TimestepType}, batch {(bundle.Unet.FixedBatch?.ToString() ?? "dynamic")}"
        );
        output.WriteLine(
            $"provider: {sessions.ActiveProvider}"
                + $"{(sessions.FallbackReason is { } why ? $" (CUDA unavailable: {why})" : "")}"
        );
        output.WriteLine($"sessions created in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine("Problems: none");
        return 0;
    }

    private static void Describe(TextWriter output, string name, OnnxModel model)
    {
        var bundleDirectory = Path.GetDirectoryName(Path.GetDirectoryName(model.ModelPath)!)!;
        output.WriteLine($"{name}: {Path.GetRelativePath(bundleDirectory, model.ModelPath)}");
        foreach (var (kind, metadata) in new[] { ("in ", model.Inputs), ("out", model.Outputs) })
        foreach (var (inputName, meta) in metadata)
        {
            var dimensions = meta.Dimensions.Select(
                (d, i) =>
                    d > 0 ? d.ToString()
                    : meta.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } sym ? sym
                    : "?"
            );
            output.WriteLine(
                $"    {kind} {inputName, -24} {meta.ElementDataType, -8} [{string.Join(",", dimensions)}]"
            );
        }
    }
}
