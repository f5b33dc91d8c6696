using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// The inputs a new user tries, run through the built command line: what can be known before a model loads is
/// checked before it loads (one error line, status 2, no "info:" log line of a loading model), and what the edit
/// itself reveals is named by its stage.
/// </summary>
public sealed class InputCheckTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("p2pz-inputs-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string Photo => RepoPaths.Image("cat_1.png");

    private string Output => Path.Combine(_scratch, "out");

    /// <summary>A two-step edit of <paramref name="image"/> on the tiny model, <paramref name="more"/> added.</summary>
    private string[] Quick(
        string image,
        string[] more,
        string task = "cat2dog",
        string? model = null,
        string? directions = null
    ) =>
        [
            "edit",
            image,
            "--task",
            task,
            "--steps",
            "2",
            "--sentences",
            "2",
            "--model",
            model ?? RepoPaths.TinySd,
            "--directions",
            directions ?? Path.Combine(_scratch, "directions"),
            "-o",
            Output,
            .. more,
        ];

    private static void AssertRefusedBeforeLoading((int Status, string Output, string Error) run, string message)
    {
        Assert.True(run.Status == CommandLine.UserError, $"status {run.Status}:{Environment.NewLine}{run.Error}");
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:{Environment.NewLine}{run.Error}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(message, lines[0]);
        Assert.Empty(run.Output);
    }

    [Fact]
    public async Task A_result_name_over_255_bytes_is_refused_before_the_model_loads()
    {
        var photo = Path.Combine(_scratch, new string('b', 250) + ".png");
        File.Copy(Photo, photo);

        var run = await CliProcess.RunAsync(Quick(photo, ["--caption", "a cat"]));

        AssertRefusedBeforeLoading(run, "is 262 bytes long (UTF-8), and file names may have at most 255");
    }

    [Fact]
    public async Task A_task_of_40_and_40_cjk_characters_is_edited_into_a_name_of_251_bytes()
    {
        var (cat, dog) = (new string('猫', 40), new string('狗', 40));

        var (status, _, error) = await CliProcess.RunAsync(Quick(Photo, ["--caption", "a cat"], $"{cat}:{dog}"));

        Assert.True(status == 0, error);
        Assert.True(File.Exists(Path.Combine(Output, $"cat_1.{cat}2{dog}.png")));
        Assert.True(File.Exists(Path.Combine(Output, $"cat_1.{cat}2{dog}.json")));
    }

    [Fact]
    public async Task A_folder_where_a_result_goes_is_refused_before_the_model_loads()
    {
        Directory.CreateDirectory(Path.Combine(Output, "cat_1.cat2dog.png"));

        var run = await CliProcess.RunAsync(Quick(Photo, ["--caption", "a cat"]));

        AssertRefusedBeforeLoading(run, "cat_1.cat2dog.png is already there as a folder, where the result goes");
    }

    [Fact]
    public async Task A_file_named_as_the_direction_cache_is_refused_before_the_model_loads()
    {
        var file = Path.Combine(_scratch, "directions.txt");
        File.WriteAllText(file, "not a folder");

        var run = await CliProcess.RunAsync(Quick(Photo, ["--caption", "a cat"], directions: file));

        AssertRefusedBeforeLoading(run, $"--directions = {file} is not accepted: it is a file; name a folder");
    }

    [Fact]
    public async Task Cuda_asked_of_a_cpu_build_is_refused_as_the_builds_before_any_model_loads()
    {
        if (OnnxSessionFactory.MissingFromBuild(ExecutionProvider.Cuda) is null)
            return; // a GPU build (-p:Gpu=true): the CUDA provider is there to ask for

        var run = await CliProcess.RunAsync(Quick(Photo, ["--provider", "cuda"]));

        AssertRefusedBeforeLoading(run, "--provider = Cuda is not accepted: this build has no CUDA execution provider");
        Assert.DoesNotContain(".onnx", run.Error); // no model file is blamed
    }

    [Theory]
    [InlineData("fifo", "is a named pipe (FIFO), not an image file")]
    [InlineData("/dev/zero", "/dev/zero is a device, not an image file")]
    public async Task A_pipe_or_a_device_named_as_the_image_is_refused_at_once(string image, string message)
    {
        if (image == "fifo")
        {
            image = Path.Combine(_scratch, "fifo");
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [image]);
            await mkfifo.WaitForExitAsync();
        }

        var run = await CliProcess.RunAsync(20, Quick(image, ["--caption", "a cat"]));

        AssertRefusedBeforeLoading(run, message);
    }

    [Theory]
    [InlineData("-")]
    [InlineData("/dev/stdin")]
    public async Task A_photo_piped_into_standard_input_is_edited(string image)
    {
        await using var photo = File.OpenRead(Photo);

        var (status, output, error) = await CliProcess.RunWithInputAsync(photo, Quick(image, ["--caption", "a cat"]));

        Assert.True(status == 0, error);
        Assert.Contains($"wrote {Path.Combine(Output, "stdin.cat2dog.png")}", output);
        Assert.Contains("\"input\": \"standard input\"", File.ReadAllText(Path.Combine(Output, "stdin.cat2dog.json")));
    }

    [Fact]
    public async Task Endless_bytes_piped_into_standard_input_are_refused_at_the_size_limit()
    {
        await using var zeros = File.OpenRead("/dev/zero");

        var run = await CliProcess.RunWithInputAsync(zeros, Quick("-", ["--caption", "a cat"]));

        AssertRefusedBeforeLoading(run, "standard input is more than 52,428,800 bytes; the limit is 52,428,800 bytes");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task An_empty_caption_is_refused(string caption)
    {
        var run = await CliProcess.RunAsync(Quick(Photo, ["--caption", caption]));

        AssertRefusedBeforeLoading(run, $"--caption = \"{caption}\" is not accepted: describe the photo in words");
    }

    [Theory]
    [InlineData("--steps", "0", "--steps = 0 is not accepted: use 2..999")]
    [InlineData("--guidance-scale", "1", "--guidance-scale = 1 is not accepted: use a value above 1")]
    [InlineData("--xa", "-1", "--xa = -1 is not accepted: use 0..10")]
    [InlineData("--edit-multiplier", "1000", "--edit-multiplier = 1000 is not accepted")]
    public async Task A_value_out_of_range_is_named_by_the_option_typed(string option, string value, string message)
    {
        var run = await CliProcess.RunAsync(
            "edit",
            Photo,
            "--task",
            "cat2dog",
            "--model",
            RepoPaths.TinySd,
            "-o",
            Output,
            option,
            value
        );

        AssertRefusedBeforeLoading(run, message);
    }

    [Theory]
    [InlineData("binary", "is not UTF-8 text")]
    [InlineData("numbers", "line 2: \"1 2 3\" has no letter, so it is no sentence")]
    [InlineData("nul", "line 1: holds the control character U+0000, so it is not a text file")]
    [InlineData("blank", "has no sentences")]
    [InlineData("folder", "is a folder; name a UTF-8 text file")]
    public async Task A_sentence_file_that_holds_no_sentences_is_refused_before_the_model_loads(
        string kind,
        string message
    )
    {
        var file = Path.Combine(_scratch, kind);
        switch (kind)
        {
            case "binary":
                File.WriteAllBytes(file, [0x89, 0x50, 0x4E, 0x47, 0xFF, 0xFE, 0xC3, 0x28]);
                break;
            case "numbers":
                File.WriteAllText(file, "a photo of a cat\n1 2 3\n");
                break;
            case "nul":
                File.WriteAllText(file, "a cat\0 sitting\n");
                break;
            case "blank":
                File.WriteAllText(file, "\n  \n\t\n");
                break;
            default:
                Directory.CreateDirectory(file);
                break;
        }

        var run = await CliProcess.RunAsync(
            "direction",
            "cat",
            "--sentences-file",
            file,
            "--model",
            RepoPaths.TinySd,
            "--directions",
            Path.Combine(_scratch, "directions")
        );

        AssertRefusedBeforeLoading(run, message);
        Assert.False(Directory.Exists(Path.Combine(_scratch, "directions")));
    }

    [Fact]
    public async Task Corrupt_text_encoder_weights_are_named_as_the_text_encoders_and_write_nothing()
    {
        var model = RepoPaths.CopyOfTinySdWithNonFiniteTextEncoder();

        var (status, output, error) = await CliProcess.RunAsync(Quick(Photo, ["--caption", "a cat"], model: model));

        Assert.Equal(CommandLine.UserError, status);
        Assert.Contains("error: the text encoder produced NaN (not a number)", error);
        Assert.DoesNotContain("invert", error.Split("error:")[1]);
        Assert.DoesNotContain("wrote", output);
        Assert.Empty(Directory.GetFileSystemEntries(Output));
    }

    [Fact]
    public async Task Demo_help_documents_the_model_it_runs_on_and_no_environment_variable()
    {
        var (status, output, _) = await CliProcess.RunAsync("demo", "--help");

        Assert.Equal(0, status);
        Assert.Contains("default: the bundled tiny model", output);
        Assert.DoesNotContain("PIX2PIX_ZERO_MODEL", output);
    }
}
