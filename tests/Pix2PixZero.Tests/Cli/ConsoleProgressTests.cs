using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Tests.Cli;

public class ConsoleProgressTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    [Fact]
    public void Without_a_terminal_long_stages_print_a_line_at_least_every_few_seconds_with_elapsed_and_estimated_time()
    {
        var clock = new ManualClock();
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, clock, TimeSpan.FromSeconds(5));

        progress.OnStepEnd(new PipelineStep(EditStage.Invert, 1, 50));
        for (var step = 2; step <= 50; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            progress.OnStepEnd(new PipelineStep(EditStage.Invert, step, 50));
        }

        var lines = output
            .ToString()
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.TrimEnd('\r'))
            .ToList();
        Assert.Equal("invert: 1/50", lines[0]);
        Assert.Equal("invert: 4/50, 6 s elapsed, about 1 min 32 s left", lines[1]);
        Assert.Equal("invert: 50/50, 1 min 38 s", lines[^1]);
        Assert.InRange(lines.Count, 16, 18); // one every 6 s (three 2 s steps) of 98 s, plus the first and the last
    }

    [Fact]
    public void A_quick_stage_prints_only_its_start_and_end()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, new ManualClock());
        foreach (var step in Enumerable.Range(0, 11))
            progress.OnStepEnd(new PipelineStep(EditStage.Edit, step, 10));

        Assert.Equal(
            ["edit: 0/10", "edit: 10/10, 0 s"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r'))
        );
    }

    [Fact]
    public void Stages_are_named_as_people_read_them_and_word_means_name_their_word()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, new ManualClock());
        progress.OnStepEnd(new PipelineStep(EditStage.Directions, 0, 2) { Word = "cat" });
        progress.OnStepEnd(new PipelineStep(EditStage.Encode, 0, 1));

        Assert.Equal(
            ["word means 'cat': 0/2", "encode: 0/1"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r'))
        );
    }

    [Theory]
    [InlineData(80)]
    [InlineData(60)]
    [InlineData(40)]
    public void On_a_terminal_every_line_fits_its_width_with_three_digit_steps_and_long_times(int columns)
    {
        var clock = new ManualClock();
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, clock, terminalColumns: columns);

        progress.OnStepEnd(new PipelineStep(EditStage.Invert, 1, 999));
        for (var step = 2; step <= 999; step += 97)
        {
            clock.Advance(TimeSpan.FromSeconds(40));
            progress.OnStepEnd(new PipelineStep(EditStage.Invert, step, 999));
        }
        progress.OnStepEnd(new PipelineStep(EditStage.Directions, 0, 1) { Word = new string('猫', 40) });

        var drawn = output
            .ToString()
            .Split('\r', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Replace("\u001b[K", ""));
        Assert.All(drawn, line => Assert.True(ConsoleProgress.Width(line) < columns, $"{line.Length}: {line}"));
        Assert.Contains(drawn, line => line.Contains("999, ") && line.Contains(" h ")); // the times are there
    }

    [Fact]
    public void At_80_columns_the_bar_keeps_the_whole_timing_of_a_three_digit_step_count()
    {
        var line = ConsoleProgress.Fit(
            new PipelineStep(EditStage.Invert, 998, 999),
            ", 59 min 59 s elapsed, about 59 min 59 s left",
            ", 59 min 59 s, 59 min 59 s left",
            ConsoleProgress.DefaultColumns
        );

        Assert.Equal("invert   [##############.] 998/999, 59 min 59 s elapsed, about 59 min 59 s left", line);
        Assert.True(line.Length < 80);
    }

    [Fact]
    public void A_log_line_written_while_the_bar_is_drawn_gets_its_own_line_and_the_bar_comes_back_below_it()
    {
        var output = new StringWriter();
        var progress = new ConsoleProgress(output, new ManualClock(), terminalColumns: 80);
        progress.OnStepEnd(new PipelineStep(EditStage.Invert, 1, 50));

        progress.Lines.Write("info: a log line\n");

        var text = output.ToString();
        var bar = text[..text.IndexOf("\u001b[K", StringComparison.Ordinal)];
        Assert.Equal($"{bar}\u001b[K\r\u001b[Kinfo: a log line\n{bar}\u001b[K", text);
        Assert.StartsWith("\rinvert   [", bar);
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(125, "2 min 05 s")]
    [InlineData(3720, "1 h 02 min")]
    public void Durations_read_as_people_say_them(int seconds, string text) =>
        Assert.Equal(text, ConsoleProgress.Duration(TimeSpan.FromSeconds(seconds)));
}
