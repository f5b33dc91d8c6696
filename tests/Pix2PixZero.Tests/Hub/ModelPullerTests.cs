using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Hub;

/// <summary>
/// <see cref="ModelPuller"/> against <see cref="LoopbackHub"/> serving the tiny fixture bundle with the hub's URL
/// shape, plus the files real SD repositories hold that a bundle does not need.
/// </summary>
public sealed class ModelPullerTests(ITestOutputHelper output) : IDisposable
{
    public const string Repository = "tiny/sd-onnx";
    public const string Revision = "onnx";

    /// <summary>
    /// What real SD 1.x ONNX repositories hold besides the bundle; a pull must not download any of it.
    /// </summary>
    public static readonly Dictionary<string, byte[]> NotBundleFiles = new()
    {
        ["safety_checker/model.onnx"] = Encoding.ASCII.GetBytes("a safety checker graph"),
        ["feature_extractor/preprocessor_config.json"] = Encoding.ASCII.GetBytes("{\"crop_size\": 224}"),
        ["unet/model_fp16.onnx"] = Encoding.ASCII.GetBytes("an fp16 variant"),
        ["README.md"] = Encoding.ASCII.GetBytes("# tiny"),
        [".gitattributes"] = Encoding.ASCII.GetBytes("*.onnx filter=lfs"),
    };

    private readonly string _root = Directory.CreateTempSubdirectory("p2pz-pull-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Target => Path.Combine(_root, "models", "tiny");

    public static LoopbackHub TinySdHub() =>
        new(Repository, Revision, WithExtras(LoopbackHub.ReadFolder(RepoPaths.TinySd)));

    private static Dictionary<string, byte[]> WithExtras(Dictionary<string, byte[]> files)
    {
        foreach (var (path, content) in NotBundleFiles)
            files[path] = content;
        return files;
    }

    private static PullOptions Options(LoopbackHub hub) =>
        new()
        {
            Endpoint = hub.Endpoint,
            Timeout = TimeSpan.FromSeconds(10),
            RetryDelay = TimeSpan.Zero,
            Retries = 0,
            DiskReserveBytes = 0,
        };

    private static Task<PullResult> PullAsync(
        LoopbackHub hub,
        string target,
        PullOptions? options = null,
        string? revision = null
    ) =>
        new ModelPuller(options ?? Options(hub)).PullAsync(
            HubModelReference.Parse($"{hub.Repository}@{revision ?? hub.Revision}"),
            target
        );

    // Staging and replaced folders beside the target ("tiny.partial-…", "tiny.replaced-…").
    private IEnumerable<string> Leftovers() =>
        Directory
            .GetDirectories(Path.GetDirectoryName(Target)!)
            .Where(d => Path.GetFileName(d).StartsWith("tiny.", StringComparison.Ordinal));

    private static void AssertUnetReproducesTheTorchGolden(ModelBundle bundle, string what)
    {
        var result = bundle.Unet.PredictNoise(
            Npy.Golden("unet_sample.npy").Tensor(),
            Npy.Golden("unet_timestep.npy").Longs()[0],
            Npy.Golden("unet_ehs.npy").Tensor()
        );
        TensorAssert.Close(result.Buffer.Span, Npy.Golden("unet_out.npy").Floats(), 1e-4, what);
    }

    private static IEnumerable<string> BundleFiles(LoopbackHub hub) =>
        hub.Paths.Where(p => !NotBundleFiles.ContainsKey(p));

    [Fact]
    public async Task A_full_pull_downloads_exactly_the_bundle_files_and_verifies_them()
    {
        using var hub = TinySdHub();
        var result = await PullAsync(hub, Target);

        Assert.False(result.UpToDate);
        Assert.Equal(Target, result.Directory);
        var expected = BundleFiles(hub).OrderBy(p => p, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, result.Files.Select(f => f.Path).OrderBy(p => p, StringComparer.Ordinal));
        Assert.Equal(hub.TotalBytes(expected), result.DownloadedBytes);
        foreach (var path in expected)
            Assert.Equal(hub.Content(path), File.ReadAllBytes(BundleLayout.LocalPath(Target, path)));
        foreach (var skipped in NotBundleFiles.Keys)
        {
            Assert.Empty(hub.Downloads(skipped));
            Assert.False(File.Exists(BundleLayout.LocalPath(Target, skipped)), skipped);
        }
        Assert.All(result.Files.Where(f => f.Path.EndsWith(".onnx") || f.Path.EndsWith(".pb")), f =>
            Assert.NotNull(f.Sha256)
        );
        Assert.All(result.Files.Where(f => f.Path.EndsWith(".json") || f.Path.EndsWith(".txt")), f =>
            Assert.NotNull(f.GitBlobId)
        );
        Assert.Empty(ModelBundleValidator.Validate(Target));
        Assert.Equal(hub.Commit, PullManifest.TryRead(Target)!.Commit);
        Assert.Empty(Leftovers());
        output.WriteLine(
            $"{result.Files.Count} files, {result.DownloadedBytes:N0} bytes, {hub.Requests.Count} requests"
        );
    }

    [Fact]
    public async Task The_pulled_bundle_loads_and_its_unet_reproduces_the_torch_golden()
    {
        using var hub = TinySdHub();
        await PullAsync(hub, Target);

        using var bundle = ModelBundle.Open(Target, new OnnxSessionFactory(ExecutionProvider.Cpu));
        AssertUnetReproducesTheTorchGolden(bundle, "out_sample of the pulled UNet");
        Assert.True(bundle.HasCaptioner);
        Assert.Equal(3, bundle.Captioner.Options.NumBeams);
    }

    [Fact]
    public async Task A_second_pull_of_the_same_commit_downloads_nothing()
    {
        using var hub = TinySdHub();
        await PullAsync(hub, Target);
        var before = hub.Requests.Count;
        var written = File.GetLastWriteTimeUtc(BundleLayout.LocalPath(Target, "unet/weights.pb"));

        var again = await PullAsync(hub, Target);

        Assert.True(again.UpToDate);
        Assert.Equal(0, again.DownloadedBytes);
        var requests = hub.Requests.Skip(before).ToList();
        Assert.Equal(["/api/models/tiny/sd-onnx/revision/onnx"], requests.Select(r => r.Path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(BundleLayout.LocalPath(Target, "unet/weights.pb")));
    }

    [Fact]
    public async Task A_dropped_connection_is_retried_from_where_it_stopped()
    {
        using var hub = TinySdHub();
        const long cut = 1_000_000;
        hub.DropConnection("unet/weights.pb", cut);

        var result = await PullAsync(hub, Target, Options(hub) with { Retries = 2 });

        var transfers = hub.Downloads("unet/weights.pb").Where(r => r.Server == "cdn").ToList();
        Assert.Equal(2, transfers.Count);
        Assert.Null(transfers[0].Range);
        Assert.Equal($"bytes={cut}-", transfers[1].Range);
        Assert.Equal(hub.TotalBytes(BundleFiles(hub)), result.DownloadedBytes);
        Assert.Equal(
            hub.Content("unet/weights.pb"),
            File.ReadAllBytes(BundleLayout.LocalPath(Target, "unet/weights.pb"))
        );
    }

    [Fact]
    public async Task Transient_failures_are_retried_with_a_linearly_growing_wait_until_the_retries_run_out()
    {
        using var hub = TinySdHub();
        hub.DropConnection("unet/weights.pb", 500_000, times: 3);
        var log = new RecordingLogger();
        var options = Options(hub) with { Retries = 2, RetryDelay = TimeSpan.FromMilliseconds(100) };

        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<HubException>(() =>
            new ModelPuller(options, log).PullAsync(HubModelReference.Parse($"{hub.Repository}@{hub.Revision}"), Target)
        );

        Assert.True(e.Transient);
        Assert.Equal(3, hub.Downloads("unet/weights.pb").Count(r => r.Server == "cdn"));
        Assert.Equal(
            ["Retry 1 of 2 in 0.1 s.", "Retry 2 of 2 in 0.2 s."],
            log.Warnings.Select(w => Regex.Match(w, @"Retry \d of \d in [\d.]+ s\.").Value)
        );
        Assert.All(log.Warnings, w => Assert.Contains("Resuming at byte", w));
        Assert.True(
            clock.Elapsed >= TimeSpan.FromMilliseconds(300),
            $"the two retries waited {clock.Elapsed.TotalMilliseconds:0} ms in all, not 100 + 200"
        );
    }

    [Fact]
    public async Task An_interrupted_pull_places_nothing_and_the_next_pull_resumes_it()
    {
        using var hub = TinySdHub();
        const long cut = 700_000;
        hub.DropConnection("unet/weights.pb", cut);

        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target));
        Assert.Contains("unet/weights.pb", e.Message);
        Assert.Contains("next pull resumes", e.Message);
        Assert.False(
            Directory.Exists(Target),
            "an interrupted pull must not leave a folder that looks like the bundle"
        );
        var staging = Assert.Single(Leftovers());
        Assert.Equal(cut, new FileInfo(BundleLayout.LocalPath(staging, "unet/weights.pb") + ".incomplete").Length);
        var graphRequests = hub.Downloads("text_encoder/model.onnx").Count();
        var verified = BundleFiles(hub).Where(p => File.Exists(BundleLayout.LocalPath(staging, p))).ToList();
        Assert.Contains("text_encoder/model.onnx", verified);

        var result = await PullAsync(hub, Target);

        Assert.Equal($"bytes={cut}-", hub.Downloads("unet/weights.pb").Last(r => r.Server == "cdn").Range);
        // verified files are kept, not fetched again
        Assert.Equal(graphRequests, hub.Downloads("text_encoder/model.onnx").Count());
        Assert.Equal(hub.TotalBytes(BundleFiles(hub)) - hub.TotalBytes(verified) - cut, result.DownloadedBytes);
        Assert.Empty(ModelBundleValidator.Validate(Target));
        Assert.False(Directory.Exists(staging));
    }

    [Theory]
    [InlineData("vae_decoder/model.onnx", "SHA-256")]
    [InlineData("scheduler/scheduler_config.json", "git blob SHA-1")]
    public async Task A_checksum_mismatch_fails_places_nothing_and_deletes_the_corrupt_file(
        string path,
        string algorithm
    )
    {
        using var hub = TinySdHub();
        hub.Corrupt(path);

        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target));

        Assert.Contains($"downloading {path}", e.Message);
        Assert.Contains($"checksum mismatch: {algorithm}", e.Message);
        Assert.False(e.Transient);
        Assert.False(Directory.Exists(Target));
        var staging = Assert.Single(Leftovers());
        Assert.False(File.Exists(BundleLayout.LocalPath(staging, path) + ".incomplete"));
        Assert.False(File.Exists(BundleLayout.LocalPath(staging, path)));

        hub.Corrupt(path, corrupt: false);
        await PullAsync(hub, Target);
        Assert.Equal(hub.Content(path), File.ReadAllBytes(BundleLayout.LocalPath(Target, path)));
    }

    [Fact]
    public async Task A_missing_repository_is_a_404_that_names_it()
    {
        using var hub = TinySdHub();
        var e = await Assert.ThrowsAsync<HubException>(() =>
            new ModelPuller(Options(hub)).PullAsync(HubModelReference.Parse("nobody/nothing"), Target)
        );
        Assert.Equal(404, e.StatusCode);
        Assert.Contains("nobody/nothing was not found", e.Message);
        Assert.False(Directory.Exists(Target));
    }

    [Fact]
    public async Task A_missing_revision_is_a_404_that_names_it()
    {
        using var hub = TinySdHub();
        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target, revision: "fp16"));
        Assert.Equal(404, e.StatusCode);
        Assert.Contains("the revision 'fp16' does not exist in tiny/sd-onnx", e.Message);
    }

    [Fact]
    public async Task A_private_repository_without_a_token_is_a_401_that_says_how_to_give_one()
    {
        using var hub = TinySdHub();
        hub.RequiredToken = "hf_right";

        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target));
        Assert.Equal(401, e.StatusCode);
        Assert.Contains("--token, HF_TOKEN", e.Message);

        var wrong = await Assert.ThrowsAsync<HubException>(() =>
            PullAsync(hub, Target, Options(hub) with { Token = "hf_wrong" })
        );
        Assert.Equal(401, wrong.StatusCode);
        Assert.Contains("the access token was not accepted", wrong.Message);
        Assert.False(Directory.Exists(Target));
    }

    [Fact]
    public async Task The_token_goes_to_the_hub_and_never_to_the_cdn_it_redirects_to()
    {
        using var hub = TinySdHub();
        hub.RequiredToken = "hf_right";

        await PullAsync(hub, Target, Options(hub) with { Token = "hf_right" });

        Assert.All(hub.Requests.Where(r => r.Server == "hub"), r => Assert.Equal("Bearer hf_right", r.Authorization));
        var cdn = hub.Requests.Where(r => r.Server == "cdn").ToList();
        Assert.NotEmpty(cdn);
        Assert.All(cdn, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task A_gated_repository_is_a_403_that_points_at_the_license_page()
    {
        using var hub = TinySdHub();
        hub.Gated = true;
        var e = await Assert.ThrowsAsync<HubException>(() =>
            PullAsync(hub, Target, Options(hub) with { Token = "hf_any" })
        );
        Assert.Equal(403, e.StatusCode);
        Assert.Contains($"is gated. Accept its license at {hub.Endpoint}/tiny/sd-onnx", e.Message);
    }

    [Fact]
    public async Task A_repository_that_is_not_an_onnx_bundle_is_refused_before_any_download()
    {
        var files = LoopbackHub.ReadFolder(RepoPaths.TinySd);
        files.Remove("vae_encoder/model.onnx");
        using var hub = new LoopbackHub(Repository, Revision, files);

        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target));

        Assert.Contains("it lacks vae_encoder/model.onnx", e.Message);
        Assert.All(hub.Requests, r => Assert.StartsWith("/api/", r.Path));
    }

    [Fact]
    public async Task Too_little_disk_space_is_refused_before_any_download_with_the_sizes()
    {
        using var hub = TinySdHub();
        var e = await Assert.ThrowsAsync<HubException>(() =>
            PullAsync(hub, Target, Options(hub) with { DiskReserveBytes = long.MaxValue / 4 })
        );
        Assert.Contains("not enough disk space: the download needs", e.Message);
        Assert.Contains("is free", e.Message);
        Assert.All(hub.Requests, r => Assert.StartsWith("/api/", r.Path));
    }

    [Fact]
    public async Task A_stalled_transfer_times_out_and_is_resumed_by_the_retry()
    {
        using var hub = TinySdHub();
        hub.Stall("text_encoder/model.onnx", afterBytes: 100_000, times: 1);
        var options = Options(hub) with { Timeout = TimeSpan.FromSeconds(1), Retries = 1 };

        await PullAsync(hub, Target, options);

        Assert.Equal("bytes=100000-", hub.Downloads("text_encoder/model.onnx").Last(r => r.Server == "cdn").Range);
        Assert.Empty(ModelBundleValidator.Validate(Target));
    }

    [Fact]
    public async Task A_stall_with_no_retries_left_fails_with_the_timeout()
    {
        using var hub = TinySdHub();
        hub.Stall("tokenizer/vocab.json", afterBytes: 1000, times: 1);

        var e = await Assert.ThrowsAsync<HubException>(() =>
            PullAsync(hub, Target, Options(hub) with { Timeout = TimeSpan.FromSeconds(1) })
        );

        Assert.Contains("no data from 127.0.0.1 for 1 s", e.Message);
        Assert.True(e.Transient);
        Assert.False(Directory.Exists(Target));
    }

    [Fact]
    public async Task A_new_commit_replaces_the_bundle_and_clears_the_old_staging()
    {
        using var hub = TinySdHub();
        await PullAsync(hub, Target);
        var files = WithExtras(LoopbackHub.ReadFolder(RepoPaths.TinySd));
        files["scheduler/scheduler_config.json"] = Encoding.UTF8.GetBytes(
            Encoding
                .UTF8.GetString(files["scheduler/scheduler_config.json"])
                .Replace("\"steps_offset\": 1", "\"steps_offset\": 1 ")
        );
        Directory.CreateDirectory(Target + ".partial-stale");
        hub.Serve(files);

        var result = await PullAsync(hub, Target);

        Assert.False(result.UpToDate);
        Assert.Equal(hub.Commit, PullManifest.TryRead(Target)!.Commit);
        Assert.Equal(
            files["scheduler/scheduler_config.json"],
            File.ReadAllBytes(BundleLayout.LocalPath(Target, "scheduler/scheduler_config.json"))
        );
        Assert.Empty(Leftovers());
    }

    [Fact]
    public async Task A_folder_not_made_by_a_pull_is_never_overwritten()
    {
        using var hub = TinySdHub();
        Directory.CreateDirectory(Target);
        File.WriteAllText(Path.Combine(Target, "notes.txt"), "mine");

        var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target));

        Assert.Contains("was not made by a pull", e.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(Target, "notes.txt")));
    }

    [Fact]
    public async Task A_second_pull_into_the_same_folder_waits_for_the_lock_or_fails()
    {
        using var hub = TinySdHub();
        Directory.CreateDirectory(Path.GetDirectoryName(Target)!);
        var lockPath = Path.Combine(Path.GetDirectoryName(Target)!, ".tiny.pull.lock");
        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var e = await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target));
            Assert.Contains("another pull into", e.Message);
        }
        await PullAsync(hub, Target);
        Assert.Empty(ModelBundleValidator.Validate(Target));
    }

    [Fact]
    public async Task A_unet_with_model_onnx_data_weights_is_pulled_and_runs()
    {
        // optimum / torch.onnx exports keep the UNet weights in unet/model.onnx_data instead of diffusers' weights.pb.
        var files = LoopbackHub.ReadFolder(RepoPaths.TinySd);
        var graph = Core.Graph.Onnx.ModelProto.Parser.ParseFrom(files["unet/model.onnx"]);
        foreach (var entry in graph.Graph.Initializer.SelectMany(t => t.ExternalData).Where(e => e.Key == "location"))
            entry.Value = "model.onnx_data";
        files["unet/model.onnx"] = Google.Protobuf.MessageExtensions.ToByteArray(graph);
        files["unet/model.onnx_data"] = files["unet/weights.pb"];
        files.Remove("unet/weights.pb");
        using var hub = new LoopbackHub(Repository, Revision, files);

        await PullAsync(hub, Target);

        Assert.True(File.Exists(BundleLayout.LocalPath(Target, "unet/model.onnx_data")));
        using var bundle = ModelBundle.Open(Target, new OnnxSessionFactory(ExecutionProvider.Cpu));
        AssertUnetReproducesTheTorchGolden(bundle, "out_sample with model.onnx_data weights");
    }

    [Fact]
    public async Task A_pull_that_fails_or_succeeds_leaves_no_lock_file_behind()
    {
        using var hub = TinySdHub();
        hub.Corrupt("unet/model.onnx");
        await Assert.ThrowsAsync<HubException>(() => PullAsync(hub, Target));
        Assert.False(File.Exists(ModelPuller.LockPath(Target)), "a failed pull left its lock file");

        hub.Corrupt("unet/model.onnx", corrupt: false);
        await PullAsync(hub, Target);
        Assert.False(File.Exists(ModelPuller.LockPath(Target)), "a pull left its lock file");
    }

    [Fact]
    public async Task A_pulled_file_keeps_its_verified_sha256_until_it_changes()
    {
        using var hub = TinySdHub();
        await PullAsync(hub, Target);
        var manifest = PullManifest.TryRead(Target)!;
        var weights = BundleLayout.LocalPath(Target, "unet/weights.pb");

        Assert.Equal(Core.Serialization.FileDigest.Sha256(weights), manifest.VerifiedSha256(Target, "unet/weights.pb"));
        Assert.Null(manifest.VerifiedSha256(Target, "scheduler/scheduler_config.json")); // checked by git blob id only

        File.SetLastWriteTimeUtc(weights, manifest.PulledAt.UtcDateTime.AddSeconds(1));
        Assert.Null(manifest.VerifiedSha256(Target, "unet/weights.pb"));
    }

    [Fact]
    public void The_loopback_hub_reads_only_committed_files_even_while_a_write_beside_them_is_in_progress()
    {
        var folder = RepoPaths.CopyOfTinySd();
        File.WriteAllBytes(Path.Combine(folder, "unet", ".guidance.onnx.0123456789abcdef.tmp"), new byte[1000]);
        File.WriteAllBytes(Path.Combine(folder, "unet", "guidance.onnx"), new byte[1000]);

        var files = LoopbackHub.ReadFolder(folder);

        Assert.Equal(
            RepoPaths
                .CommittedFiles(RepoPaths.TinySd)
                .Select(f => Path.GetRelativePath(RepoPaths.TinySd, f))
                .Order(StringComparer.Ordinal),
            files.Keys.Order(StringComparer.Ordinal)
        );
        Assert.DoesNotContain(files.Keys, k => k.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_loopback_hub_binds_other_ports_when_the_ones_it_was_offered_are_taken()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var busy = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var offers = 0;
        int Propose() => offers++ < 2 ? busy : FreeLoopbackPort();

        using var hub = new LoopbackHub(
            Repository,
            Revision,
            WithExtras(LoopbackHub.ReadFolder(RepoPaths.TinySd)),
            Propose
        );
        await PullAsync(hub, Target);

        Assert.NotEqual($"http://127.0.0.1:{busy}", hub.Endpoint);
        Assert.Empty(ModelBundleValidator.Validate(Target));
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
