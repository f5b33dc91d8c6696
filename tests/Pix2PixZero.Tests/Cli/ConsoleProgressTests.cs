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

        progress.Report(new PipelineProgress("invert", 1, 50));
        for (var step = 2; step <= 50; step++)
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            progress.Report(new PipelineProgress("invert", step, 50));
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
            progress.Report(new PipelineProgress("edit", step, 10));

        Assert.Equal(
            ["edit: 0/10", "edit: 10/10, 0 s"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r'))
        );
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(125, "2 min 05 s")]
    [InlineData(3720, "1 h 02 min")]
    public void Durations_read_as_people_say_them(int seconds, string text) =>
        Assert.Equal(text, ConsoleProgress.Duration(TimeSpan.FromSeconds(seconds)));
}
