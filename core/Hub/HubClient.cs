using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Pix2PixZero.Core.Hub;

/// <summary>
/// The two calls of the Hugging Face hub HTTP API a pull needs: the file list
/// <c>GET /api/models/{repo}/revision/{rev}?blobs=true</c> (siblings with sizes, LFS SHA-256 and git blob ids) and the
/// download <c>GET /{repo}/resolve/{commit}/{path}</c>, which serves small files itself and redirects LFS files to a
/// CDN, naming their checksum and size in <c>X-Linked-Etag</c> / <c>X-Linked-Size</c> (small files: <c>ETag</c>).
/// Redirects are followed here rather than by the handler so the token only ever goes to the endpoint's own host;
/// downloads continue a partial file with <c>Range</c> and are checked against the size and checksum.
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private const int BufferBytes = 1 << 20;

    private readonly PullOptions _options;
    private readonly Uri _base;
    private readonly HttpClient _http;

    public HubClient(PullOptions options)
    {
        _options = options.Validate();
        _base = options.BaseUri;
        // Timeouts are per answer and per read (see Deadline), never for a whole multi-gigabyte transfer.
        _http = new HttpClient(
            new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                ConnectTimeout = options.Timeout,
            }
        )
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("pix2pix-zero/1");
    }

    public async Task<HubListing> ListAsync(HubModelReference model, CancellationToken cancellationToken)
    {
        var url = new Uri(
            _base,
            $"api/models/{model.Repository}/revision/{Uri.EscapeDataString(model.Revision)}?blobs=true"
        );
        var what = $"listing the files of {model}";
        using var deadline = Deadline(cancellationToken);
        try
        {
            using var answer = await SendAsync(url, 0, deadline.Token);
            EnsureSuccess(answer.Response, url, model, null, what);
            await using var body = await answer.Response.Content.ReadAsStreamAsync(deadline.Token);
            using var document = await JsonDocument.ParseAsync(body, default, deadline.Token);
            return ParseListing(model, document.RootElement, url);
        }
        catch (Exception e) when (Translate(e, url, what, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// Downloads <paramref name="file"/> into <paramref name="partial"/>, continuing from the bytes it already holds,
    /// and checks its size and checksum. Returns the file as verified (size and checksum from the listing, or from
    /// the download's headers where the listing had none). A checksum mismatch deletes the partial file.
    /// </summary>
    public async Task<HubFile> DownloadAsync(
        HubListing listing,
        HubFile file,
        string partial,
        IProgress<long>? progress,
        CancellationToken cancellationToken
    )
    {
        var url = new Uri(
            _base,
            $"{listing.Model.Repository}/resolve/{Uri.EscapeDataString(listing.Commit)}"
                + $"/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}"
        );
        var what = $"downloading {file.Path} of {listing.Model}";
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (file.Size is { } listed && have > listed)
        {
            File.Delete(partial);
            have = 0;
        }
        using var deadline = Deadline(cancellationToken);
        try
        {
            using var answer = await SendAsync(url, have, deadline.Token);
            var response = answer.Response;
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
                return VerifyWhole(Learn(file, answer, start: 0), partial, have, what);
            EnsureSuccess(response, url, listing.Model, file.Path, what);

            var resumed = response.StatusCode == HttpStatusCode.PartialContent;
            var start = resumed ? response.Content.Headers.ContentRange?.From ?? -1 : 0;
            if (resumed && start != have)
            {
                File.Delete(partial);
                throw new HubException(
                    $"{what}: the server resumed at byte {start}, not at {have}; starting the file again",
                    transient: true
                );
            }
            var known = Learn(file, answer, start);
            using var digest = known.Size is { } size ? ContentDigest.For(known, size) : null;
            if (resumed)
                digest?.AppendFile(partial, have);

            await using (
                var output = new FileStream(
                    partial,
                    resumed ? FileMode.Append : FileMode.Create,
                    FileAccess.Write,
                    FileShare.None,
                    BufferBytes
                )
            )
            await using (var body = await response.Content.ReadAsStreamAsync(deadline.Token))
            {
                var buffer = new byte[BufferBytes];
                for (var written = start; ; )
                {
                    deadline.CancelAfter(_options.Timeout);
                    var read = await body.ReadAsync(buffer, deadline.Token);
                    if (read == 0)
                        break;
                    digest?.Append(buffer.AsSpan(0, read));
                    await output.WriteAsync(buffer.AsMemory(0, read), CancellationToken.None);
                    written += read;
                    progress?.Report(written);
                }
            }
            return Verify(known, partial, digest, what);
        }
        catch (Exception e) when (Translate(e, url, what, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The final response, and the checksum and size the hub's own answer named (before any CDN redirect).
    /// </summary>
    private sealed record Answer(HttpResponseMessage Response, string? HubEtag, long? HubLinkedSize) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }

    private async Task<Answer> SendAsync(Uri url, long rangeStart, CancellationToken cancellationToken)
    {
        (string? Etag, long? LinkedSize)? hub = null;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (_options.Token is { } token && SameOrigin(url, _base))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (rangeStart > 0)
                request.Headers.Range = new RangeHeaderValue(rangeStart, null);
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            // The checksum headers come from the hub's own answer, not from the CDN a redirect leads to.
            if (SameOrigin(url, _base))
                hub ??= (
                    Header(response.Headers, "X-Linked-Etag") ?? response.Headers.ETag?.Tag,
                    long.TryParse(Header(response.Headers, "X-Linked-Size"), out var linked) ? linked : null
                );
            if (
                (int)response.StatusCode is 301 or 302 or 303 or 307 or 308
                && response.Headers.Location is { } location
            )
            {
                response.Dispose();
                if (hop == MaxRedirects)
                    throw new HubException(
                        $"{url} redirected more than {MaxRedirects} times; is the mirror URL right?"
                    );
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                continue;
            }
            return new Answer(response, hub?.Etag, hub?.LinkedSize);
        }
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private CancellationTokenSource Deadline(CancellationToken cancellationToken)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeout);
        return deadline;
    }

    /// <summary>
    /// Fills what the listing left open from the hub's headers: LFS SHA-256 and size, or the git blob id.
    /// </summary>
    private static HubFile Learn(HubFile file, Answer answer, long start)
    {
        var etag = answer.HubEtag?.Replace("W/", "").Trim('"').ToLowerInvariant();
        var size = file.Size
            ?? answer.HubLinkedSize
            ?? answer.Response.Content.Headers.ContentRange?.Length
            ?? answer.Response.Content.Headers.ContentLength + start;
        if (file.Sha256 is not null || file.GitBlobId is not null || etag is null)
            return file with { Size = size };
        return etag.Length switch
        {
            64 when etag.All(Uri.IsHexDigit) => file with { Size = size, Sha256 = etag },
            40 when etag.All(Uri.IsHexDigit) => file with { Size = size, GitBlobId = etag },
            _ => file with { Size = size },
        };
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    // A 416 for "bytes=N-" means the partial file already has every byte: check it as it is.
    private static HubFile VerifyWhole(HubFile file, string partial, long have, string what)
    {
        if (file.Size is { } size && size != have)
        {
            File.Delete(partial);
            throw new HubException(
                $"{what}: the server refused to resume at byte {have} of {size}; starting the file again",
                transient: true
            );
        }
        using var digest = ContentDigest.For(file, have);
        digest?.AppendFile(partial, have);
        return Verify(file with { Size = have }, partial, digest, what);
    }

    private static HubFile Verify(HubFile file, string partial, ContentDigest? digest, string what)
    {
        var length = new FileInfo(partial).Length;
        if (file.Size is { } size && length < size)
            throw new HubException($"{what}: the transfer ended at byte {length:N0} of {size:N0}", transient: true);
        if (file.Size is { } expected && length > expected)
        {
            File.Delete(partial);
            throw new HubException(
                $"{what}: received {length:N0} bytes but the hub "
                    + $"lists {expected:N0}; the damaged file was deleted, pull again"
            );
        }
        if (digest is not null)
        {
            var actual = digest.Actual();
            if (!string.Equals(actual, digest.Expected, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(partial);
                throw new HubException(
                    $"{what}: checksum mismatch: {digest.Algorithm} of the {length:N0} bytes received is {actual}, "
                        + $"but the hub lists {digest.Expected}. The corrupt "
                        + "file was deleted; pull again to download it afresh "
                        + "(if it happens again, the mirror serves other bytes than the hub)."
                );
            }
        }
        return file with { Size = length };
    }

    private void EnsureSuccess(
        HttpResponseMessage response,
        Uri url,
        HubModelReference model,
        string? path,
        string what
    )
    {
        if (response.IsSuccessStatusCode)
            return;
        var code = (int)response.StatusCode;
        var errorCode = Header(response.Headers, "X-Error-Code");
        var detail = Header(response.Headers, "X-Error-Message") is { Length: > 0 } m ? $" (\"{m}\")" : "";
        var tokenHelp = "https://huggingface.co/settings/tokens";
        var message = code switch
        {
            401 when _options.Token is null => $"{what}: {url.Host} answered 401 Unauthorized{detail}. "
                + $"{model.Repository} is private or gated, or does not exist: "
                + $"check the name, and give a Hugging Face access token ({tokenHelp}) "
                + "with --token, HF_TOKEN or the Pix2PixZero:HubToken setting.",
            401 => $"{what}: {url.Host} answered 401 Unauthorized{detail}: the access token was not "
                + $"accepted. Check it ({tokenHelp}) and the repository name {model.Repository}.",
            403 when errorCode == "GatedRepo" || _options.Token is null =>
                $"{what}: 403 Forbidden{detail}: {model.Repository} is gated. "
                    + $"Accept its license at {new Uri(_base, model.Repository)} "
                    + "with the account the token belongs to, then pull again.",
            403 => $"{what}: 403 Forbidden{detail}: the token has no access "
                + $"to {model.Repository}; use a token of an account that has.",
            404 when errorCode == "RevisionNotFound" =>
                $"{what}: the revision '{model.Revision}' does not exist in {model.Repository} "
                    + $"(404){detail}; check --revision (sd14's ONNX export is on 'onnx').",
            404 when path is not null => $"{what}: {path} is not in {model} (404){detail}.",
            404 => $"{what}: {model.Repository} was not found at {_base} (404){detail}; "
                + "check the name (sd14, sd15 or owner/repo) and the mirror URL.",
            408 or 429 or >= 500 =>
                $"{what}: {url.Host} answered {code} {response.ReasonPhrase}{detail}; try again later.",
            _ => $"{what}: {url} answered {code} {response.ReasonPhrase}{detail}.",
        };
        throw new HubException(message, code, transient: code is 408 or 429 or >= 500);
    }

    private HubException? Translate(Exception e, Uri url, string what, CancellationToken cancellationToken) =>
        e switch
        {
            HubException => null,
            OperationCanceledException when cancellationToken.IsCancellationRequested => null,
            OperationCanceledException or TimeoutException => new HubException(
                $"{what}: no data from {url.Host} for {_options.Timeout.TotalSeconds:0.#} s; the connection stalled "
                    + "(try again: the download resumes; or raise --timeout).",
                e,
                transient: true
            ),
            HttpRequestException => new HubException(
                $"{what}: cannot reach {url.Host}: {e.Message}; check the network, a proxy or the mirror URL.",
                e,
                transient: true
            ),
            HttpIOException or IOException { InnerException: SocketException } => new HubException(
                $"{what}: the connection broke ({e.Message}).",
                e,
                transient: true
            ),
            IOException or UnauthorizedAccessException => new HubException(
                $"{what}: writing the file failed: {e.Message}; check free space and permissions.",
                e
            ),
            JsonException => new HubException(
                $"{what}: {url} did not answer with the hub's JSON ({e.Message}); is the mirror URL right?",
                e
            ),
            _ => null,
        };

    private HubListing ParseListing(HubModelReference model, JsonElement root, Uri url)
    {
        if (
            root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("siblings", out var siblings)
            || siblings.ValueKind != JsonValueKind.Array
        )
            throw new HubException(
                $"{url} did not answer with a hub file list (no \"siblings\"); "
                    + $"is {_base} the Hugging Face hub or a mirror of it?"
            );
        var commit =
            root.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String
                ? sha.GetString()!
                : model.Revision;
        var files = new List<HubFile>();
        foreach (var sibling in siblings.EnumerateArray())
        {
            if (String(sibling, "rfilename") is not { } path)
                continue;
            long? size = Number(sibling, "size");
            string? sha256 = null;
            if (sibling.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
            {
                sha256 = String(lfs, "sha256")?.ToLowerInvariant();
                size = Number(lfs, "size") ?? size;
            }
            files.Add(
                new HubFile(path, size, sha256, sha256 is null ? String(sibling, "blobId")?.ToLowerInvariant() : null)
            );
        }
        return new HubListing(model, commit, files);
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
}
