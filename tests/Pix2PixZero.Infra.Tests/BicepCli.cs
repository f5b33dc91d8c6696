using System.Diagnostics;

namespace Pix2PixZero.Infra.Tests;

/// <summary>Result of one Bicep CLI run.</summary>
public sealed record BicepRun(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// The Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64, installed by scripts/install-bicep.sh
/// (which is fast and does nothing when .tools/bicep/bicep is already the pinned version).
/// </summary>
public sealed class BicepCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private BicepCli(string executable) => Executable = executable;

    public string Executable { get; }

    public static BicepCli Install()
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "install-bicep.sh");
        var run = Run("bash", [script]);
        if (run.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed with exit code {run.ExitCode}:\n{run.StandardError}");
        var executable = run.StandardOutput.Trim().Split('\n').Last().Trim();
        if (!File.Exists(executable))
            throw new InvalidOperationException($"{script} printed '{executable}', which is not a file.");
        return new BicepCli(executable);
    }

    public BicepRun Invoke(params string[] arguments) => Run(Executable, arguments);

    private static BicepRun Run(string fileName, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} ran longer than {Timeout}.");
        }
        return new BicepRun(process.ExitCode, stdout.Result, stderr.Result);
    }
}
