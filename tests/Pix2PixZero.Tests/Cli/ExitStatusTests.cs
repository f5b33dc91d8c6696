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

    [Fact]
    public void Every_row_of_the_readmes_exit_status_table_names_tests_that_exist()
    {
        var rows = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"))
            .SkipWhile(line => !line.StartsWith("| status | when |", StringComparison.Ordinal))
            .Skip(2)
            .TakeWhile(line => line.StartsWith('|'))
            .ToList();
        var tests = typeof(ExitStatusTests)
            .Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(ExitStatusTests).Namespace && !t.IsNested)
            .ToDictionary(t => t.Name, t => t.GetMethods().Select(m => m.Name).ToHashSet());

        Assert.Equal(["0", "1", "2", "2", "130"], rows.Select(r => r.Split('|')[1].Trim()));
        foreach (var row in rows)
        {
            var named = System
                .Text.RegularExpressions.Regex.Matches(row.Split('|')[^2], "`([A-Za-z]+)(?:\\.([A-Za-z0-9_]+))?`")
                .ToList();
            Assert.True(named.Count > 0, $"no test named in: {row}");
            foreach (var name in named)
            {
                Assert.True(tests.ContainsKey(name.Groups[1].Value), $"no test class {name.Value}");
                if (name.Groups[2].Success)
                    Assert.Contains(name.Groups[2].Value, tests[name.Groups[1].Value]);
            }
        }
    }
}
