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
}
