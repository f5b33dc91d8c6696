using System.CommandLine;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// The options every method command shares; the method's own are written from <see cref="MethodParameters.Table"/>
/// and read through <see cref="MethodParameters.Read"/>, as the HTTP API reads its fields.
/// </summary>
public sealed class MethodCommandOptions
{
    public Option<DirectoryInfo> Model { get; } =
        new("--model", "-m") { Description = "model folder (diffusers ONNX layout); default: $PIX2PIX_ZERO_MODEL" };

    /// <summary><c>--model</c> of the commands that run on the bundled tiny model unless told otherwise.</summary>
    public Option<DirectoryInfo> DemoModel { get; } =
        new("--model", "-m") { Description = "model folder (diffusers ONNX layout); default: the bundled tiny model" };
    public Option<ExecutionProvider> Provider { get; } =
        new("--provider")
        {
            Description = "Auto (CUDA, else CPU), Cpu or Cuda",
            DefaultValueFactory = _ => ExecutionProvider.Auto,
        };

    /// <summary>
    /// One option per hyperparameter of <see cref="MethodParameters.Table"/>: its flag, help and default.
    /// </summary>
    public IReadOnlyList<(Hyperparameter Hyperparameter, Option<string> Option)> Method { get; } =
    [
        .. MethodParameters.Table.All.Select(h =>
            (
                h,
                new Option<string>(h.Flag)
                {
                    Description = h.Description,
                    HelpName = h.Choices is { } choices ? string.Join('|', choices) : null,
                }
            )
        ),
    ];

    public Option<int> Sentences { get; } =
        new("--sentences")
        {
            Description = $"built-in sentences per word for directions (1..{SentenceGenerator.MaxCount})",
            DefaultValueFactory = _ => SentenceGenerator.DefaultCount,
        };
    public Option<DirectoryInfo?> Directions { get; } =
        new("--directions")
        {
            Description = "cache folder for per-word embeddings (default ~/.cache/pix2pix-zero/directions)",
        };
    public Option<int?> Size { get; } =
        new("--size")
        {
            Description =
                "process at the area of a SIZE×SIZE square, the photo's proportions kept; a multiple of 64 "
                + "(default: the model's, 512 for SD 1.x)",
        };

    /// <summary>Photo edits only: added by the commands that edit a photo, not by <c>generate</c>.</summary>
    public Option<bool> OriginalSize { get; } =
        new("--original-size")
        {
            Description = "return the pictures resized to the photo's own pixel size (default: the processing size)",
        };
    public Option<DirectoryInfo> Output { get; } =
        new("--out", "-o") { Description = "output folder", DefaultValueFactory = _ => new DirectoryInfo("out") };

    public void AddTo(Command command, bool demo = false)
    {
        command.Options.Add(demo ? DemoModel : Model);
        command.Options.Add(Provider);
        foreach (var (_, option) in Method)
            command.Options.Add(option);
        foreach (var option in new Option[] { Sentences, Size, Directions, Output })
            command.Options.Add(option);
    }

    public MethodParameters Parameters(ParseResult result)
    {
        var given = Method.ToDictionary(m => m.Hyperparameter, m => result.GetValue(m.Option));
        return MethodParameters.Read(h => given[h], h => h.Flag);
    }

    /// <summary>
    /// Every method option checked, before anything is loaded: the edit's options, the sentence count, the image size,
    /// the provider, and the output and direction cache folders.
    /// </summary>
    public (MethodParameters Method, int Sentences, string Output) Checked(ParseResult result)
    {
        var (method, sentences) = (Parameters(result), SentenceCount(result));
        ImageSize(result);
        CheckProvider(result);
        DirectionCache(result);
        return (method, sentences, OutputDirectory(result));
    }

    /// <summary>
    /// The provider asked for, refused when this build cannot run it (CUDA in a CPU build) or when the CUDA options'
    /// variables hold bad values (<see cref="CudaEnvironment"/>).
    /// </summary>
    public ExecutionProvider CheckProvider(ParseResult result)
    {
        _ = CudaEnvironment.Options;
        var provider = result.GetValue(Provider);
        return OnnxSessionFactory.MissingFromBuild(provider) is { } missing
            ? throw new InvalidOptionException(Provider.Name, provider, missing)
            : provider;
    }

    /// <summary>
    /// The side of the square whose area the photo gets, checked against the rule every model shares (the model's own
    /// is checked when it opens).
    /// </summary>
    public int? ImageSize(ParseResult result) =>
        result.GetValue(Size) is { } size ? ModelBundle.CheckImageSize(size, "--size") : null;

    public string ModelDirectory(ParseResult result) =>
        result.GetValue(Model)?.FullName
        ?? Environment.GetEnvironmentVariable("PIX2PIX_ZERO_MODEL")
        ?? throw new InvalidOptionException(
            "--model",
            null,
            "name a model folder with --model or set PIX2PIX_ZERO_MODEL"
        );

    public int SentenceCount(ParseResult result)
    {
        var count = result.GetValue(Sentences);
        return count is >= 1 and <= SentenceGenerator.MaxCount
            ? count
            : throw new InvalidOptionException(
                "--sentences",
                count,
                $"use 1..{SentenceGenerator.MaxCount} (default {SentenceGenerator.DefaultCount})"
            );
    }

    /// <summary>
    /// The output folder, created and known to take a file before any model is loaded: an edit can run for hours, and
    /// finding then that its pictures cannot be written loses them.
    /// </summary>
    public string OutputDirectory(ParseResult result) =>
        WritableFolder(Output.Name, result.GetValue(Output)!.FullName, "the pictures");

    /// <summary>The direction cache folder, created and known to take a file, like the output folder.</summary>
    public string DirectionCache(ParseResult result) =>
        WritableFolder(
            Directions.Name,
            result.GetValue(Directions)?.FullName ?? CommandLine.CacheFolder("directions"),
            "the word means"
        );

    private static string WritableFolder(string option, string folder, string what)
    {
        if (FileTypes.Of(folder) is var type and not (FileType.Missing or FileType.Directory))
            throw new InvalidOptionException(
                option,
                folder,
                $"it is {FileTypes.Describe(type)}; name a folder you can write to"
            );
        var probe = Path.Combine(folder, $".pix2pix-zero-{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return folder;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new InvalidOptionException(
                option,
                folder,
                $"{what} could not be written there ({e.Message}); name a folder you can write to"
            );
        }
    }
}
