using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Hub;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// A command's failure prints one "error: …" line and exits with the status of its kind: 2 when running the command
/// again as it is repeats it (bad input, a broken model, a model that makes NaN), 1 when it may pass.
/// </summary>
public sealed class ExitStatusTests
{
    [Theory]
    [InlineData(FailureKind.InvalidInput, CommandLine.UserError)]
    [InlineData(FailureKind.Permanent, CommandLine.UserError)]
    [InlineData(FailureKind.Transient, CommandLine.Failed)]
    public async Task A_failure_is_one_error_line_with_the_status_of_its_kind(FailureKind kind, int status)
    {
        var error = new StringWriter();

        var exit = await CommandLine.RunAsync(
            () => throw new Pix2PixZeroException(kind, "the thing failed; do this"),
            CancellationToken.None,
            error
        );

        Assert.Equal(status, exit);
        Assert.Equal("error: the thing failed; do this", error.ToString().Trim());
    }

    [Fact]
    public async Task A_download_that_broke_off_exits_1_and_one_the_hub_refused_exits_2()
    {
        var broke = await CommandLine.RunAsync(
            () => throw new HubException("the connection broke", transient: true),
            CancellationToken.None,
            TextWriter.Null
        );
        var refused = await CommandLine.RunAsync(
            () => throw new HubException("the hub answered 401 Unauthorized", 401),
            CancellationToken.None,
            TextWriter.Null
        );

        Assert.Equal((CommandLine.Failed, CommandLine.UserError), (broke, refused));
    }
}
