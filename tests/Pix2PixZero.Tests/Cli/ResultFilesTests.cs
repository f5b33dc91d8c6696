using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// Results are checked before the work and written staged: a failure while writing leaves neither a picture without
/// its record nor a half file.
/// </summary>
public sealed class ResultFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("p2pz-results-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Names = ["cat_1.cat2dog.png", "cat_1.cat2dog.json", "cat_1.dog2cat.png"];

    private static byte[] Content(string name) => System.Text.Encoding.UTF8.GetBytes($"content of {name}");

    [Fact]
    public void Every_file_is_written_whole_and_nothing_else_is_left_in_the_folder()
    {
        var written = ResultFiles.Plan(_folder, Names, "the test", 1024).Write(Content);

        Assert.Equal(Names.Select(n => Path.Combine(_folder, n)), written);
        Assert.Equal(Names.Order(), Directory.GetFileSystemEntries(_folder).Select(Path.GetFileName).Order());
        Assert.All(Names, n => Assert.Equal(Content(n), File.ReadAllBytes(Path.Combine(_folder, n))));
    }

    [Fact]
    public void A_disk_that_fills_up_while_the_results_are_written_leaves_no_file_and_may_pass_when_run_again()
    {
        var files = ResultFiles.Plan(_folder, Names, "the test", 1024);
        // The second file's write meets a full disk: /dev/full answers every write with ENOSPC, as a full disk does.
        var opened = 0;
        Stream Open(string path) =>
            ++opened == 2
                ? new FileStream("/dev/full", FileMode.Open, FileAccess.Write)
                : new FileStream(path, FileMode.CreateNew, FileAccess.Write);

        var e = Assert.Throws<Pix2PixZeroException>(() => files.Write(Content, Open));

        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Contains($"the results could not be written to {_folder} (No space left on device", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public void A_result_from_an_earlier_run_is_replaced_whole()
    {
        File.WriteAllText(Path.Combine(_folder, Names[0]), "an earlier picture");

        ResultFiles.Plan(_folder, Names, "the test", 1024).Write(Content);

        Assert.Equal(Content(Names[0]), File.ReadAllBytes(Path.Combine(_folder, Names[0])));
    }

    [Fact]
    public void Results_larger_than_the_free_space_are_refused_naming_the_output_folder()
    {
        var free = new DriveInfo(_folder).AvailableFreeSpace;

        var e = Assert.Throws<InvalidOptionException>(() =>
            ResultFiles.Plan(_folder, Names, "the test", free + 1024L * 1024 * 1024)
        );

        Assert.Equal("--out", e.Option);
        Assert.Contains("free and the results need up to", e.Message);
    }

    [Theory]
    [InlineData(255, true)]
    [InlineData(256, false)]
    public void A_name_is_measured_in_utf8_bytes_against_the_255_the_file_system_takes(int bytes, bool fits)
    {
        // "猫" is three bytes in UTF-8.
        var name = new string('猫', (bytes - 4) / 3) + new string('a', (bytes - 4) % 3) + ".png";
        Assert.Equal(bytes, System.Text.Encoding.UTF8.GetByteCount(name));

        var plan = () => ResultFiles.Plan(_folder, [name], "the photo's name", 1024).Write(Content);

        if (fits)
            Assert.True(File.Exists(Assert.Single(plan())));
        else
            Assert.Contains(
                $"is {bytes} bytes long (UTF-8), and file names may have at most 255",
                Assert.Throws<InvalidInputException>(plan).Message
            );
    }
}
