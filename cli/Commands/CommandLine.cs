using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// Runs the command tree with the command line's conventions: results on standard output, logs, progress and errors
/// on standard error; a usage error is one line naming the option and what it accepts (status 2); a failure is one
/// "error: …" line with the status of its <see cref="FailureKind"/>: 2 when running the command again as it is repeats
/// it (bad input, a broken model folder, a model that makes NaN, a name too long or a read-only folder), 1 only when it
/// may pass (a download that broke off, a disk that filled up while writing); Ctrl+C or SIGTERM "cancelled" (status
/// 130) after the running step stops. Never a stack trace. README, "Exit status", has the table.
/// </summary>
public static class CommandLine
{
    public const int Failed = 1;
    public const int UserError = 2;
    public const int Cancelled = 130;

    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        {
            error.WriteLine($"error: {UsageError(parsed.Errors[0], parsed)}");
            return UserError;
        }

        using var cancel = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Cancel(context, cancel));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Cancel(context, cancel));
        try
        {
            // Without the default handler, a user error thrown by any command lands here rather than as a stack trace;
            // without System.CommandLine's termination handling, the signals above decide how a run stops.
            return await parsed.InvokeAsync(
                new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
                cancel.Token
            );
        }
        catch (Exception e) when (Describe(e) is { } described)
        {
            error.WriteLine(described.Line);
            return described.Status;
        }
    }

    /// <summary>
    /// Runs a command's work: its failures print as one line with the status they call for (see the class summary).
    /// </summary>
    public static async Task<int> RunAsync(
        Func<Task> action,
        CancellationToken cancellationToken,
        TextWriter? error = null
    )
    {
        error ??= Console.Error;
        try
        {
            await action();
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("cancelled");
            return Cancelled;
        }
        catch (Exception e) when (Describe(e) is { } described)
        {
            error.WriteLine(described.Line);
            return described.Status;
        }
    }

    /// <summary>A per-user cache folder (<see cref="Core.Serialization.UserCache.Folder"/>).</summary>
    public static string CacheFolder(string name) => Core.Serialization.UserCache.Folder(name);

    /// <summary>Log lines go to standard error, so standard output holds only results.</summary>
    public static ILoggerFactory Logging(bool verbose) =>
        LoggerFactory.Create(b =>
            b.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "HH:mm:ss ";
                })
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
        );

    // The first signal asks the running step to stop; a second one ends the process at once.
    private static void Cancel(PosixSignalContext context, CancellationTokenSource cancel)
    {
        if (cancel.IsCancellationRequested)
            return;
        context.Cancel = true;
        cancel.Cancel();
    }

    private static int StatusOf(FailureKind kind) => kind == FailureKind.Transient ? Failed : UserError;

    private static (string Line, int Status)? Describe(Exception e) =>
        e switch
        {
            Pix2PixZeroException known => ($"error: {e.Message}", StatusOf(known.Kind)),
            IOException or UnauthorizedAccessException => (
                $"error: {e.Message}",
                StatusOf(FileSystemFailure.KindOf(e))
            ),
            _ => null,
        };

    /// <summary>
    /// One line for a parse error: the option, the value given and what it accepts, where an option is at fault.
    /// </summary>
    private static string UsageError(ParseError parseError, ParseResult parsed)
    {
        var help = $"(pix2pix-zero {string.Join(' ', CommandPath(parsed.CommandResult))} --help lists them)".Replace(
            "  ",
            " "
        );
        if (parsed.UnmatchedTokens.Count > 0)
            return $"\"{InputText.Shorten(parsed.UnmatchedTokens[0])}\" "
                + $"is not a command, option or argument here {help}";
        return parseError.SymbolResult switch
        {
            OptionResult { Option: var option } result when option.ValueType != typeof(bool) =>
                new InvalidOptionException(
                    option.Name,
                    result.Tokens.Count > 0 ? string.Join(' ', result.Tokens.Select(t => t.Value)) : null,
                    Accepted(option)
                ).Message,
            ArgumentResult { Argument: var argument, Parent: CommandResult } => new InvalidOptionException(
                $"<{argument.Name}>",
                null,
                argument.Description ?? "give it"
            ).Message,
            _ => $"{parseError.Message} {help}",
        };
    }

    private static IEnumerable<string> CommandPath(CommandResult command) =>
        command.Parent is CommandResult parent ? [.. CommandPath(parent), command.Command.Name] : [];

    private static string Accepted(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        var kind = type switch
        {
            _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type)),
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(ulong) => "a whole number ≥ 0",
            _ when type == typeof(float) || type == typeof(double) => "a number",
            _ when type == typeof(FileInfo) || type == typeof(DirectoryInfo) => "a path",
            _ => "a value",
        };
        return option.Description is { Length: > 0 } description ? $"{kind} ({description})" : kind;
    }
}
