using System.CommandLine;
using System.Text.RegularExpressions;
using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// The method's command-line options are MethodParameters.Table's entries: flags, help, defaults, refusals.
/// </summary>
public sealed partial class MethodOptionTests
{
    public static TheoryData<string> MethodCommands() => new() { "edit", "generate", "demo", "bench" };

    [Theory]
    [MemberData(nameof(MethodCommands))]
    public async Task The_help_lists_every_hyperparameter_with_its_flag_range_and_default(string command)
    {
        var (status, output, _) = await CliProcess.RunAsync(command, "--help");

        Assert.Equal(0, status);
        // The help wraps long descriptions; read it as one line.
        var help = Spaces().Replace(output, " ");
        Assert.All(MethodParameters.Table.All, h => Assert.Contains($"{h.Flag} <", help));
        Assert.All(MethodParameters.Table.All, h => Assert.Contains(h.Description, help));
    }

    [Fact]
    public void Each_flag_is_read_into_its_parameter_and_one_left_out_keeps_the_table_default()
    {
        var options = new MethodCommandOptions();
        var command = new Command("edit");
        options.AddTo(command);

        var given = options.Parameters(
            command.Parse([
                "--edit-multiplier",
                "-0.5",
                "--xa",
                "0.3",
                "--steps",
                "7",
                "--guidance-scale",
                "7.5",
                "--seed",
                "18446744073709551615",
                "--convention",
                "official",
                "--negative",
                "",
            ])
        );
        var none = options.Parameters(command.Parse([]));

        Assert.Equal(
            new MethodParameters
            {
                EditMultiplier = -0.5f,
                CrossAttentionGuidance = 0.3f,
                Steps = 7,
                GuidanceScale = 7.5f,
                Seed = ulong.MaxValue,
                Convention = InversionConvention.Official,
                NegativePrompt = "",
            },
            given
        );
        Assert.Equal(
            (MethodParameters.Table.Steps.Default, MethodParameters.Table.GuidanceScale.Default, (float?)null),
            (none.Steps, none.GuidanceScale, none.CrossAttentionGuidance)
        );
    }

    [Fact]
    public void A_value_out_of_range_is_refused_with_the_table_s_words_under_the_flag_typed()
    {
        var options = new MethodCommandOptions();
        var command = new Command("edit");
        options.AddTo(command);
        var checkedOnes = 0;

        foreach (var h in MethodParameters.Table.All)
        {
            if (OutOfRange.Of(h, h.Flag) is not var (text, refusal))
                continue;
            var e = Assert.Throws<InvalidOptionException>(() => options.Parameters(command.Parse([h.Flag, text])));
            Assert.Equal(refusal, e.Message);
            Assert.Equal(h.Flag, e.Option);
            checkedOnes++;
        }

        Assert.Equal(MethodParameters.Table.All.Count - 1, checkedOnes); // all but the seed, which has no upper bound
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
