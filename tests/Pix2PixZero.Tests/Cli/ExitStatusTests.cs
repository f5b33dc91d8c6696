using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Hub;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// A command's failure prints one "error: …" line and exits with the status of its kind: 2 when running the command
/// again as it is repeats it (bad input, a broken model, a model that makes NaN, a name too long, a read-only folder),
/// 1 only when it may pass (a download that broke off, a disk that filled up). Each row of README's exit-status table
/// is pinned here or by the test it names.
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

    /// <summary>
    /// What the file system says, as .NET raises it (an IOException keeps Linux's errno as its HResult): failures
    /// that repeat until the user changes something exit 2, and only those that may pass exit 1 (README, "Exit
    /// status").
    /// </summary>
    public static TheoryData<string, Exception, int> FileSystemFailures() =>
        new()
        {
            { "name too long", new PathTooLongException("File name too long"), CommandLine.UserError },
            { "read-only folder", new IOException("Read-only file system", 30), CommandLine.UserError },
            { "a file given as a folder", new IOException("Not a directory", 20), CommandLine.UserError },
            { "a folder given as a file", new IOException("Is a directory", 21), CommandLine.UserError },
            { "no permission", new UnauthorizedAccessException("Access denied"), CommandLine.UserError },
            { "missing", new FileNotFoundException("Could not find file"), CommandLine.UserError },
            { "disk full", new IOException("No space left on device", 28), CommandLine.Failed },
            { "I/O error", new IOException("Input/output error", 5), CommandLine.Failed },
        };

    [Theory]
    [MemberData(nameof(FileSystemFailures))]
    public async Task A_file_system_failure_exits_2_when_it_will_repeat_and_1_only_when_it_may_pass(
        string what,
        Exception failure,
        int status
    )
    {
        var error = new StringWriter();

        var exit = await CommandLine.RunAsync(() => throw failure, CancellationToken.None, error);

        Assert.True(exit == status, $"{what}: exit {exit}");
        Assert.Equal($"error: {failure.Message}", error.ToString().Trim());
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
