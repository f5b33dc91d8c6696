using System.CommandLine;
using System.Diagnostics;
using Pix2PixZero.Cli.Commands;

namespace Pix2PixZero.Tests;

/// <summary>
/// What a new user meets in the checkout itself: the README's promises
/// about setup and outputs, and git's view of what runs leave behind.
/// </summary>
public class RepositoryTests
{
    private static string Readme => File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));

    [Fact]
    public void The_clis_default_output_folder_is_ignored_by_git_and_named_by_the_readme()
    {
        var folder = new MethodCommandOptions().Output.GetDefaultValue() is DirectoryInfo d
            ? d.Name
            : throw new InvalidOperationException("-o has no default");
        var check = Process.Start(
            new ProcessStartInfo("git", ["check-ignore", "-q", $"{folder}/cat_1.cat2dog.png"])
            {
                WorkingDirectory = RepoPaths.Root,
            }
        )!;
        check.WaitForExit();

        Assert.True(check.ExitCode == 0, $"git does not ignore {folder}/, where edit writes its pictures");
        Assert.Contains($"`{folder}/<image>.<task>.png`", Readme);
    }

    [Fact]
    public void The_readme_names_every_tool_the_test_command_installs_from()
    {
        var installers = Directory
            .GetFiles(Path.Combine(RepoPaths.Root, "scripts"), "install-*.sh")
            .Select(File.ReadAllText)
            .ToList();

        Assert.Contains(installers, script => script.Contains("npm ci"));
        Assert.Contains("Node.js with npm", Readme.Split("## Use the real model")[0]);
    }

    /// <summary>
    /// Whoever clones the repository has nothing beside it: no tracked file may read or send a user to a folder above
    /// the checkout (tests, generators, the build, docs).
    /// </summary>
    [Fact]
    public void No_tracked_file_refers_to_a_folder_beside_the_checkout()
    {
        // Spelled in pieces so that this file does not name the folder itself.
        string[] spellings = [".." + "/shared", "\"..\", " + "\"shared\""];
        var offenders = TrackedFiles()
            .Where(f => !IsBinary(f))
            .Where(f =>
                File.ReadAllText(Path.Combine(RepoPaths.Root, f)) is var text
                && spellings.Any(s => text.Contains(s, StringComparison.Ordinal))
            )
            .ToList();

        Assert.True(
            offenders.Count == 0,
            "files refer to a folder beside the checkout: " + string.Join(", ", offenders)
        );
    }

    [Fact]
    public void Every_real_data_file_has_its_origin_and_licence_in_the_data_readme()
    {
        var notes = File.ReadAllText(Path.Combine(RepoPaths.Data, "README.md"));
        var files = TrackedFiles().Where(f => f.StartsWith("data/", StringComparison.Ordinal) && f != "data/README.md");

        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.Contains(Path.GetFileName(f).Split('.')[0], notes));
        Assert.Contains("MIT", notes);
    }

    private static IEnumerable<string> TrackedFiles()
    {
        var git = Process.Start(
            new ProcessStartInfo("git", ["ls-files", "-z"])
            {
                WorkingDirectory = RepoPaths.Root,
                RedirectStandardOutput = true,
            }
        )!;
        var listing = git.StandardOutput.ReadToEnd();
        git.WaitForExit();
        Assert.Equal(0, git.ExitCode);
        return listing
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => File.Exists(Path.Combine(RepoPaths.Root, f)));
    }

    private static bool IsBinary(string file) =>
        Path.GetExtension(file) is ".png" or ".onnx" or ".pb" or ".gz" or ".pt" or ".bin" or ".p2pzmean" or ".npy";
}
