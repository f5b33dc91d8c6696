using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Cli.Commands;

/// <summary><c>models inspect &lt;dir&gt;</c>: loads a bundle and prints its graphs, shapes, types, provider and problems.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var models = new Command("models", "Inspect and prepare Stable Diffusion model folders (diffusers ONNX layout)");
        models.Subcommands.Add(Inspect());
        return models;
    }

    private static Command Inspect()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "the model folder (model_index.json, unet/, text_encoder/, vae_encoder/, vae_decoder/, tokenizer/, scheduler/)" };
        var provider = new Option<ExecutionProvider>("--provider") { Description = "execution provider: Auto (CUDA, else CPU), Cpu or Cuda", DefaultValueFactory = _ => ExecutionProvider.Auto };
        var command = new Command("inspect", "Load a model folder and print its components, shapes, types, provider and problems") { dir, provider };
        command.SetAction(result => Run(result.GetValue(dir)!.FullName, result.GetValue(provider), Console.Out));
        return command;
    }

    public static int Run(string directory, ExecutionProvider provider, TextWriter output)
    {
        output.WriteLine($"Model folder: {directory}");
        var problems = ModelBundleValidator.Validate(directory);
        if (problems.Count > 0)
        {
            output.WriteLine($"Problems ({problems.Count}):");
            foreach (var problem in problems) output.WriteLine($"  - {problem.Message}");
            return CommandLine.UserError;
        }

        using var loggers = CommandLine.Logging(verbose: false);
        var sessions = new OnnxSessionFactory(provider, loggers.CreateLogger("onnx"));
        using var bundle = ModelBundle.Open(directory, sessions);
        var clock = Stopwatch.StartNew();
        Describe(output, BundleComponent.TextEncoder, bundle.TextEncoder);
        Describe(output, BundleComponent.Unet, bundle.Unet);
        Describe(output, BundleComponent.VaeEncoder, bundle.VaeEncoder);
        if (bundle.VaeEncoder.RewrittenFromSampling)
            output.WriteLine("    note: the export samples the latent; it is rewritten to return the posterior mean");
        Describe(output, BundleComponent.VaeDecoder, bundle.VaeDecoder);
        output.WriteLine(bundle.HasCaptioner
            ? $"captioner: BLIP, {bundle.Captioner.Options.NumBeams} beams, prompt \"{bundle.Captioner.Options.Prompt}\""
            : "captioner: none (captions must be given)");

        var s = bundle.SchedulerConfig;
        output.WriteLine($"tokenizer: CLIP BPE, {bundle.Tokenizer.VocabularySize:N0} tokens");
        output.WriteLine($"scheduler: {s.BetaSchedule} betas {s.BetaStart}..{s.BetaEnd}, {s.TrainTimesteps} train steps, offset {s.StepsOffset}");
        output.WriteLine($"image: {bundle.ImageSize}×{bundle.ImageSize}, latent {bundle.LatentChannels}×{bundle.LatentSize}×{bundle.LatentSize}, scaling factor {bundle.ScalingFactor}");
        output.WriteLine($"unet timestep: {bundle.Unet.TimestepType}, batch {(bundle.Unet.FixedBatch?.ToString() ?? "dynamic")}");
        output.WriteLine($"provider: {sessions.ActiveProvider}{(sessions.FallbackReason is { } why ? $" (CUDA unavailable: {why})" : "")}");
        output.WriteLine($"sessions created in {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine("Problems: none");
        return 0;
    }

    private static void Describe(TextWriter output, string name, OnnxModel model)
    {
        output.WriteLine($"{name}: {Path.GetRelativePath(Path.GetDirectoryName(Path.GetDirectoryName(model.ModelPath)!)!, model.ModelPath)}");
        foreach (var (kind, metadata) in new[] { ("in ", model.Inputs), ("out", model.Outputs) })
            foreach (var (inputName, meta) in metadata)
                output.WriteLine($"    {kind} {inputName,-24} {meta.ElementDataType,-8} [{string.Join(",", meta.Dimensions.Select((d, i) => d > 0 ? d.ToString() : meta.SymbolicDimensions.ElementAtOrDefault(i) is { Length: > 0 } sym ? sym : "?"))}]");
    }
}
