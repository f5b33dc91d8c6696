using System.Diagnostics;

namespace Pix2PixZero.Functions.Tests.Hosting;

/// <summary>
/// worker/cuda-entrypoint.sh, the GPU worker image's entrypoint: CUDA 13's forward-compatibility libraries go on the
/// library path for a host driver older than the 580 series, and only then.
/// </summary>
public sealed class CudaEntrypointTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("p2pz-cuda-entrypoint-");

    private string Compat => Path.Combine(_folder.FullName, "compat");

    [Theory]
    [InlineData("550.54.15", true)]
    [InlineData("535.183.01", true)]
    [InlineData("580.65.06", false)]
    [InlineData("590.44.01", false)]
    public async Task The_compatibility_libraries_are_used_only_with_a_driver_older_than_cuda_13s(
        string driver,
        bool compat
    )
    {
        Directory.CreateDirectory(Compat);
        var version = Path.Combine(_folder.FullName, "version");
        await File.WriteAllTextAsync(
            version,
            $"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {driver}  Tue Mar  5 22:23:56 UTC 2024\n"
                + "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
        );

        var path = await LibraryPathAsync(version, "/usr/lib/existing");

        Assert.Equal(compat ? $"{Compat}:/usr/lib/existing" : "/usr/lib/existing", path);
    }

    [Fact]
    public async Task Without_a_driver_the_worker_starts_unchanged()
    {
        Directory.CreateDirectory(Compat);

        Assert.Equal("", await LibraryPathAsync(Path.Combine(_folder.FullName, "no-driver"), null));
    }

    private async Task<string> LibraryPathAsync(string versionFile, string? libraryPath)
    {
        var start = new ProcessStartInfo("sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (
            var argument in new[]
            {
                Path.Combine(RepoPaths.Root, "worker", "cuda-entrypoint.sh"),
                "sh",
                "-c",
                "printf '%s' \"${LD_LIBRARY_PATH:-}\"",
            }
        )
            start.ArgumentList.Add(argument);
        start.Environment["NVIDIA_DRIVER_VERSION_FILE"] = versionFile;
        start.Environment["CUDA_COMPAT_DIR"] = Compat;
        start.Environment.Remove("LD_LIBRARY_PATH");
        if (libraryPath is not null)
            start.Environment["LD_LIBRARY_PATH"] = libraryPath;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
        return output;
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
