using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// The command line as a user meets it, run as its own process: usage errors are one line with status 2, bad input
/// never costs a model load or a stack trace, results go to standard output and everything else to standard error.
/// </summary>
public sealed class CommandLineConventionTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("p2pz-cli-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private string Photo => RepoPaths.Image("cat_1.png");

    private static void AssertOneErrorLine(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:{Environment.NewLine}{error}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", error);
    }

    // The method's options answer with their entry in MethodParameters.Table, as the HTTP API does.
    public static TheoryData<string, string, string> Unparsable() =>
        new()
        {
            {
                "--steps",
                "abc",
                $"--steps = abc is not accepted: use a whole number ({MethodParameters.Table.Steps.Description})"
            },
            {
                "--convention",
                "foo",
                $"--convention = foo is not accepted: {MethodParameters.Table.Convention.Accepted}"
            },
            {
                "--guidance-scale",
                "high",
                "--guidance-scale = high is not accepted: use a number "
                    + $"({MethodParameters.Table.GuidanceScale.Description})"
            },
            { "--provider", "gpu", "--provider = gpu is not accepted: one of Auto, Cpu, Cuda" },
        };

    [Theory]
    [MemberData(nameof(Unparsable))]
    public async Task A_value_that_does_not_parse_is_one_line_naming_the_option_and_what_it_accepts_with_status_2(
        string option,
        string value,
        string message
    )
    {
        var (status, output, error) = await CliProcess.RunAsync("edit", Photo, "--task", "cat2dog", option, value);

        Assert.Equal(CommandLine.UserError, status);
        AssertOneErrorLine(error);
        Assert.Contains(message, error);
        Assert.Empty(output);
    }

    [Fact]
    public async Task An_unknown_command_and_a_missing_argument_are_one_line_each_with_status_2()
    {
        var unknown = await CliProcess.RunAsync("eddit");
        Assert.Equal(CommandLine.UserError, unknown.Status);
        AssertOneErrorLine(unknown.Error);
        Assert.Contains("\"eddit\" is not a command", unknown.Error);

        var missing = await CliProcess.RunAsync("edit", "--task", "cat2dog");
        Assert.Equal(CommandLine.UserError, missing.Status);
        AssertOneErrorLine(missing.Error);
        Assert.Contains("<image> is not set: the photo to edit", missing.Error);
    }

    [Fact]
    public async Task Sentences_out_of_range_are_refused_before_the_image_or_model_is_read()
    {
        var (status, _, error) = await CliProcess.RunAsync(
            "edit",
            "missing.png",
            "--task",
            "cat2dog",
            "--sentences",
            "0",
            "--model",
            "/nonexistent",
            "-o",
            _scratch
        );

        Assert.Equal(CommandLine.UserError, status);
        AssertOneErrorLine(error);
        Assert.Contains("--sentences = 0 is not accepted: use 1..20000", error);
    }

    [Theory]
    [InlineData("100")]
    [InlineData("0")]
    [InlineData("4096")]
    public async Task An_image_size_that_is_not_a_multiple_of_64_up_to_2048_is_refused_before_anything_is_read(
        string size
    )
    {
        var (status, _, error) = await CliProcess.RunAsync(
            "edit",
            "missing.png",
            "--task",
            "cat2dog",
            "--size",
            size,
            "--model",
            "/nonexistent",
            "-o",
            _scratch
        );

        Assert.Equal(CommandLine.UserError, status);
        AssertOneErrorLine(error);
        Assert.Contains($"--size = {size} is not accepted: use a multiple of 64 from 64 to 2048", error);
    }

    [Fact]
    public async Task An_edit_runs_at_the_size_asked_on_a_dynamic_unet_and_a_fixed_unet_takes_only_its_own()
    {
        var output = Path.Combine(_scratch, "out");
        string[] edit =
        [
            "edit",
            Photo,
            "--task",
            "cat2dog",
            "--caption",
            "a cat",
            "--steps",
            "2",
            "--sentences",
            "2",
            "--size",
            "192",
            "--directions",
            Path.Combine(_scratch, "directions"),
            "-o",
            output,
        ];

        var (status, _, error) = await CliProcess.RunAsync([.. edit, "--model", RepoPaths.TinySdDynamic]);
        Assert.True(status == 0, error);
        using (var picture = SixLabors.ImageSharp.Image.Load(Path.Combine(output, "cat_1.cat2dog.png")))
            Assert.Equal((192, 192), (picture.Width, picture.Height));
        var record = File.ReadAllText(Path.Combine(output, "cat_1.cat2dog.json"));
        Assert.Contains("\"processingWidth\": 192", record);
        Assert.Contains("\"processingHeight\": 192", record);

        var fixedUnet = await CliProcess.RunAsync([.. edit, "--model", RepoPaths.TinySd]);
        Assert.Equal(CommandLine.UserError, fixedUnet.Status);
        AssertOneErrorLine(fixedUnet.Error);
        Assert.Contains(
            "--size = 192 is not accepted: this model's UNet was exported for 128×128 images only",
            fixedUnet.Error
        );
    }

    [Fact]
    public async Task An_unset_model_reads_as_a_sentence()
    {
        var (status, _, error) = await CliProcess.RunAsync("edit", Photo, "--task", "cat2dog", "-o", _scratch);

        Assert.Equal(CommandLine.UserError, status);
        Assert.Equal(
            "error: --model is not set: name a model folder with --model or set PIX2PIX_ZERO_MODEL",
            error.Trim()
        );
    }

    [Fact]
    public async Task A_folder_given_as_the_image_is_called_a_folder()
    {
        var (status, _, error) = await CliProcess.RunAsync(
            "edit",
            _scratch,
            "--task",
            "cat2dog",
            "--model",
            RepoPaths.TinySd,
            "-o",
            _scratch
        );

        Assert.Equal(CommandLine.UserError, status);
        AssertOneErrorLine(error);
        Assert.Contains($"{_scratch} is a folder; name an image file (PNG, JPEG or WebP)", error);
    }

    [Fact]
    public async Task A_ten_thousand_character_task_is_quoted_by_its_start_and_length()
    {
        var task = new string('a', 10_000);
        var (status, _, error) = await CliProcess.RunAsync(
            "edit",
            Photo,
            "--task",
            task,
            "--model",
            RepoPaths.TinySd,
            "-o",
            _scratch
        );

        Assert.Equal(CommandLine.UserError, status);
        AssertOneErrorLine(error);
        Assert.Contains("… (10,000 characters)", error);
        Assert.True(error.Length < 300, $"the message is {error.Length} characters long");
    }

    [Theory]
    [InlineData("/sys/pix2pix-zero-out")]
    [InlineData("README.md")]
    public async Task An_output_folder_that_cannot_be_written_is_refused_before_the_model_loads(string output)
    {
        var (status, _, error) = await CliProcess.RunAsync(
            "edit",
            Photo,
            "--task",
            "cat2dog",
            "--model",
            RepoPaths.TinySd,
            "--caption",
            "a cat",
            "-o",
            output
        );

        Assert.Equal(CommandLine.UserError, status);
        AssertOneErrorLine(error);
        Assert.Contains("--out = ", error);
        Assert.Contains("name a folder you can write to", error);
        Assert.DoesNotContain("info:", error); // nothing was loaded
    }

    [Fact]
    public async Task Edit_results_go_to_stdout_logs_and_progress_to_stderr_and_two_tasks_never_share_a_file()
    {
        var output = Path.Combine(_scratch, "out");
        var (status, stdout, stderr) = await CliProcess.RunAsync(
            "edit",
            Photo,
            "--task",
            "a2:b",
            "--task",
            "a:2b",
            "--caption",
            "a cat",
            "--steps",
            "2",
            "--sentences",
            "2",
            "--model",
            RepoPaths.TinySd,
            "--directions",
            Path.Combine(_scratch, "directions"),
            "-o",
            output
        );

        Assert.True(status == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, line => Assert.Matches("^(caption \\(user\\): |wrote )", line));
        Assert.Contains("info:", stderr);
        Assert.Contains("edit: 2/2", stderr);
        Assert.Equal(
            ["cat_1.a2:b.json", "cat_1.a2:b.png", "cat_1.a:2b.json", "cat_1.a:2b.png"],
            Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal)
        );
    }

    [Fact]
    public async Task Bench_names_the_provider_and_times_each_stage_and_each_graphs_runs()
    {
        var (status, stdout, stderr) = await CliProcess.RunAsync(
            "bench",
            "--steps",
            "2",
            "--sentences",
            "2",
            "--directions",
            Path.Combine(_scratch, "directions"),
            "-o",
            Path.Combine(_scratch, "out")
        );

        Assert.True(status == 0, stderr);
        Assert.Contains(", 2 steps, provider Cpu", stdout);
        var lines = stdout.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal(
            ["load", "caption", "directions", "invert", "edit"],
            Table(lines, "stage ", "total").Select(row => row[0])
        );
        // Each graph of the method, each run counted: the guidance graph once per step of the one task.
        var graphs = Table(lines, "graph run", "peak RSS").Select(row => string.Join(' ', row)).ToList();
        foreach (var graph in new[] { "text_encoder →", "vae_encoder →", "attention probe →", "vae_decoder →" })
            Assert.Contains(graphs, row => row.StartsWith(graph, StringComparison.Ordinal));
        Assert.Contains(graphs, row => row.StartsWith("guidance → 2 outputs, batch 2 2 ", StringComparison.Ordinal));
    }

    // The rows of one of bench's tables, split at spaces: those after the header that starts with `header`, before the
    // line that starts with `end`.
    private static IEnumerable<string[]> Table(List<string> lines, string header, string end) =>
        lines
            .SkipWhile(l => !l.StartsWith(header, StringComparison.Ordinal))
            .Skip(1)
            .TakeWhile(l => !l.StartsWith(end, StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public async Task Ctrl_c_during_a_demo_says_cancelled_and_leaves_nothing_half_written()
    {
        var output = Path.Combine(_scratch, "out");
        var directions = Path.Combine(_scratch, "directions");
        using var demo = CliProcess.Start(
            "demo",
            "--steps",
            "999",
            "--sentences",
            "4",
            "--directions",
            directions,
            "-o",
            output
        );
        await demo.WaitForErrorAsync("invert: 1/", 180);

        demo.Interrupt();
        var status = await demo.WaitAsync(60);

        Assert.Equal(CommandLine.Cancelled, status);
        Assert.Equal("cancelled", demo.Error.Trim().Split('\n')[^1]);
        Assert.Empty(Directory.GetFiles(output));
        var cached = Directory
            .GetFiles(directions, "*", SearchOption.AllDirectories)
            .Select(Path.GetFileName)
            .Order()
            .ToList();
        Assert.Equal(2, cached.Count);
        Assert.All(cached, name => Assert.EndsWith(".p2pzmean", name));
    }

    [Fact]
    public async Task A_model_that_makes_nan_fails_naming_the_stage_and_step_and_writes_no_picture()
    {
        var model = RepoPaths.CopyOfTinySdWithNonFiniteUnet();
        var output = Path.Combine(_scratch, "out");
        var (status, stdout, error) = await CliProcess.RunAsync(
            "edit",
            Photo,
            "--task",
            "cat2dog",
            "--caption",
            "a cat",
            "--steps",
            "3",
            "--sentences",
            "2",
            "--model",
            model,
            "--directions",
            Path.Combine(_scratch, "directions"),
            "-o",
            output
        );

        Assert.Equal(CommandLine.UserError, status);
        Assert.Contains("error: the invert step 1 (timestep 1) produced NaN (not a number)", error);
        Assert.Contains("weights are likely corrupt", error);
        Assert.DoesNotContain("wrote", stdout);
        Assert.Empty(Directory.GetFiles(output));
    }
}
