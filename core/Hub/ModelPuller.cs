using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pix2PixZero.Core.Bundles;
using Polly;
using Polly.Retry;

namespace Pix2PixZero.Core.Hub;

/// <summary>
/// What a pull did: the bundle folder, the listing it came from, its files, and the bytes it transferred.
/// </summary>
public sealed record PullResult(
    string Directory,
    HubListing Listing,
    IReadOnlyList<HubFile> Files,
    long DownloadedBytes,
    bool UpToDate
);

/// <summary>
/// Downloads a model bundle (the files <see cref="BundleLayout"/> selects) from the hub or a mirror into a folder.
/// Files go to a staging folder beside the target (<c>{dir}.partial-{commit}</c>), each as <c>.incomplete</c> until
/// its size and checksum are verified; an interrupted pull leaves them there and the next one resumes. Only a
/// complete, validated staging folder becomes the target, by one rename, with <see cref="PullManifest"/> written
/// last, so a folder that looks like a bundle always is one. A lock file keeps two pulls out of one folder.
/// </summary>
public sealed class ModelPuller
{
    private static readonly ResiliencePropertyKey<Func<string>> ResumeNote = new("pix2pix-zero.resume-note");

    private readonly PullOptions _options;
    private readonly ILogger _log;
    private readonly ResiliencePipeline _retries;

    public ModelPuller(PullOptions options, ILogger? log = null)
    {
        _options = options.Validate();
        _log = log ?? NullLogger.Instance;
        _retries = RetryPipeline(_options, _log);
    }

    public async Task<PullResult> PullAsync(
        HubModelReference model,
        string directory,
        IProgress<PullProgress>? progress = null,
        CancellationToken cancellationToken = default
    )
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var parent = Path.GetDirectoryName(target)
            ?? throw new InvalidOptionException(
                "dir",
                directory,
                "a folder below a parent folder, not a file-system root"
            );
        Directory.CreateDirectory(parent);
        await using var held = await LockAsync(target, cancellationToken);
        using var client = new HubClient(_options);

        _log.LogInformation("Listing {Model} at {Endpoint}", model, _options.Endpoint);
        var listing = await WithRetriesAsync(
            () => client.ListAsync(model, cancellationToken),
            () => "",
            cancellationToken
        );
        var selection = BundleLayout.Select(listing.Files.Select(f => f.Path));
        if (selection.Missing.Count > 0)
            throw new HubException(
                $"{model} is not a Stable Diffusion bundle in the diffusers "
                    + $"ONNX layout: it lacks {string.Join(", ", selection.Missing)} "
                    + $"(it has {listing.Files.Count} files, "
                    + $"e.g. {string.Join(", ", listing.Files.Take(5).Select(f => f.Path))}). "
                    + "Pull an ONNX export, e.g. sd14 (CompVis/stable-diffusion-v1-4@onnx)."
            );
        var files = selection.Files.Select(path => listing.Find(path)!).ToList();
        _log.LogInformation(
            "{Model} at commit {Commit}: {Selected} of its {Total} files form the bundle ({Size})",
            model,
            listing.Commit,
            files.Count,
            listing.Files.Count,
            FormatBytes(files.Sum(f => f.Size ?? 0))
        );

        var existing = PullManifest.TryRead(target);
        if (existing is not null && existing.Matches(model, files) && existing.IsPresentIn(target))
        {
            _log.LogInformation(
                "{Target} already holds {Model} at commit {Commit}; nothing to download",
                target,
                model,
                existing.Commit
            );
            return new PullResult(target, listing, existing.Files, 0, UpToDate: true);
        }
        if (existing is null && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new HubException(
                $"{target} already exists and was not made by a pull (it has no {PullManifest.FileName}); "
                    + "pull into another folder (--dir) or move that one away."
            );

        var staging = $"{target}.partial-{listing.Commit[..Math.Min(12, listing.Commit.Length)].Replace('/', '-')}";
        RemoveLeftovers(target, staging);
        Directory.CreateDirectory(staging);
        CheckDiskSpace(staging, files);

        long downloaded = 0;
        var verified = new List<HubFile>();
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                var file = files[i];
                var final = BundleLayout.LocalPath(staging, file.Path);
                // A file at its final name was verified by an earlier, interrupted pull of the same commit.
                if (File.Exists(final) && (file.Size is null || new FileInfo(final).Length == file.Size))
                {
                    verified.Add(file with { Size = new FileInfo(final).Length });
                    progress?.Report(
                        new PullProgress(file.Path, i + 1, files.Count, new FileInfo(final).Length, file.Size)
                    );
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(final)!);
                var partial = final + ".incomplete";
                var counter = new ByteCounter(
                    File.Exists(partial) ? new FileInfo(partial).Length : 0,
                    file,
                    i + 1,
                    files.Count,
                    progress
                );
                counter.Report(counter.Last);
                var done = await WithRetriesAsync(
                    () => client.DownloadAsync(listing, file, partial, counter, cancellationToken),
                    () => $" Resuming at byte {(File.Exists(partial) ? new FileInfo(partial).Length : 0):N0}.",
                    cancellationToken
                );
                downloaded += counter.Transferred;
                File.Move(partial, final, overwrite: true);
                verified.Add(done);
            }
        }
        catch (HubException e)
        {
            throw new HubException(
                $"{e.Message} Nothing was placed at {target}; the files downloaded so far stay in {staging} "
                    + "and the next pull resumes from there.",
                e,
                e.StatusCode,
                e.Transient
            );
        }

        var problems = ModelBundleValidator.Validate(staging);
        if (problems.Count > 0)
            throw new HubException(
                $"{model} was downloaded, but the files do not form a usable "
                    + $"bundle, so nothing was placed at {target}:{Environment.NewLine}"
                    + string.Join(Environment.NewLine, problems.Select(p => "  - " + p.Message))
            );
        new PullManifest(
            model.Repository,
            model.Revision,
            listing.Commit,
            Redacted(_options.BaseUri),
            DateTimeOffset.UtcNow,
            verified
        ).Write(staging);
        Place(staging, target);
        _log.LogInformation(
            "Placed {Model} ({Size}, {Downloaded} downloaded) at {Target}",
            model,
            FormatBytes(verified.Sum(f => f.Size ?? 0)),
            FormatBytes(downloaded),
            target
        );
        return new PullResult(target, listing, verified, downloaded, UpToDate: false);
    }

    public static string FormatBytes(long bytes) =>
        bytes switch
        {
            >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
            >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
            >= 1L << 10 => $"{bytes / 1024.0:F1} KiB",
            _ => $"{bytes} B",
        };

    /// <summary>
    /// Retries transient hub failures (<see cref="HubException.Transient"/>) <see cref="PullOptions.Retries"/> times;
    /// the n-th retry waits n × <see cref="PullOptions.RetryDelay"/>, without jitter.
    /// </summary>
    private static ResiliencePipeline RetryPipeline(PullOptions options, ILogger log)
    {
        // Polly's retry strategy needs at least one retry; none means every failure is final.
        if (options.Retries == 0)
            return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddRetry(
                new RetryStrategyOptions
                {
                    ShouldHandle = new PredicateBuilder().Handle<HubException>(e => e.Transient),
                    MaxRetryAttempts = options.Retries,
                    BackoffType = DelayBackoffType.Linear,
                    Delay = options.RetryDelay,
                    UseJitter = false,
                    OnRetry = args =>
                    {
                        var note = args.Context.Properties.TryGetValue(ResumeNote, out var resumeNote)
                            ? resumeNote()
                            : "";
                        log.LogWarning(
                            "{Problem} Retry {Retry} of {Retries} in {Seconds:0.#} s.{Resume}",
                            args.Outcome.Exception!.Message,
                            args.AttemptNumber + 1,
                            options.Retries,
                            args.RetryDelay.TotalSeconds,
                            note
                        );
                        return ValueTask.CompletedTask;
                    },
                }
            )
            .Build();
    }

    private async Task<T> WithRetriesAsync<T>(
        Func<Task<T>> attempt,
        Func<string> resumeNote,
        CancellationToken cancellationToken
    )
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(ResumeNote, resumeNote);
        try
        {
            return await _retries.ExecuteAsync(async _ => await attempt(), context);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>The lock file beside <paramref name="target"/> that keeps two pulls out of it.</summary>
    public static string LockPath(string target) =>
        Path.Combine(Path.GetDirectoryName(target)!, "." + Path.GetFileName(target) + ".pull.lock");

    private async Task<PullLock> LockAsync(string target, CancellationToken cancellationToken)
    {
        var path = LockPath(target);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive lock that the system releases when the process ends, however it ends.
                var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                if (File.Exists(path))
                    return new PullLock(path, stream);
                // The holder before us deleted the file between our open
                // and our lock: what we hold is no longer the lock.
                await stream.DisposeAsync();
            }
            catch (IOException) when (clock.Elapsed < _options.LockWait)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (IOException e)
            {
                throw new HubException(
                    $"another pull into {target} is running (it holds {path}); wait for it to finish and pull again.",
                    e
                );
            }
        }
    }

    /// <summary>
    /// The held lock; releasing it deletes the file first, while it is still held, so no pull leaves one behind.
    /// </summary>
    private sealed class PullLock(string path, FileStream stream) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            File.Delete(path);
            await stream.DisposeAsync();
        }
    }

    // Staging folders of other commits and folders left by an interrupted replacement are never resumed.
    private void RemoveLeftovers(string target, string staging)
    {
        var name = Path.GetFileName(target);
        foreach (var folder in Directory.EnumerateDirectories(Path.GetDirectoryName(target)!))
        {
            var other = Path.GetFileName(folder);
            if (
                folder != staging
                && (
                    other.StartsWith(name + ".partial-", StringComparison.Ordinal)
                    || other.StartsWith(name + ".replaced-", StringComparison.Ordinal)
                )
            )
            {
                _log.LogInformation("Removing {Folder}, left by an earlier pull", folder);
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private void CheckDiskSpace(string staging, IReadOnlyList<HubFile> files)
    {
        long needed = 0;
        foreach (var file in files)
        {
            var final = BundleLayout.LocalPath(staging, file.Path);
            var partial = new FileInfo(final + ".incomplete");
            if (!File.Exists(final))
                needed += Math.Max(0, (file.Size ?? 0) - (partial.Exists ? partial.Length : 0));
        }
        var free = new DriveInfo(staging).AvailableFreeSpace;
        if (needed + _options.DiskReserveBytes > free)
            throw new HubException(
                $"not enough disk space: the download needs {FormatBytes(needed)} more "
                    + $"in {staging}, and {FormatBytes(_options.DiskReserveBytes)} must stay free "
                    + $"for the compiled guidance graphs, but only {FormatBytes(free)} "
                    + "is free. Free some space or pull into another folder (--dir)."
            );
    }

    private static void Place(string staging, string target)
    {
        string? replaced = null;
        if (Directory.Exists(target))
        {
            replaced = $"{target}.replaced-{Guid.NewGuid():N}";
            Directory.Move(target, replaced);
        }
        Directory.Move(staging, target);
        if (replaced is not null)
            Directory.Delete(replaced, recursive: true);
    }

    private static string Redacted(Uri endpoint) =>
        new UriBuilder(endpoint) { UserName = "", Password = "" }.Uri.ToString();

    /// <summary>
    /// Forwards a file's progress and counts the bytes actually transferred (a restarted file counts again).
    /// </summary>
    private sealed class ByteCounter(long initial, HubFile file, int number, int count, IProgress<PullProgress>? target)
        : IProgress<long>
    {
        public long Last { get; private set; } = initial;

        public long Transferred { get; private set; }

        public void Report(long bytes)
        {
            Transferred += bytes >= Last ? bytes - Last : bytes;
            Last = bytes;
            target?.Report(new PullProgress(file.Path, number, count, bytes, file.Size));
        }
    }
}
