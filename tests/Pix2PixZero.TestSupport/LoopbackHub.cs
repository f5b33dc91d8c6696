using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Pix2PixZero.TestSupport;

/// <summary>
/// A Hugging Face hub on 127.0.0.1 (HttpListener) serving one folder as repository <see cref="Repository"/> at
/// <see cref="Revision"/> / <see cref="Commit"/>, with the hub's URL shape and headers:
/// <c>GET /api/models/{repo}/revision/{rev}?blobs=true</c> (siblings with size, blobId and lfs.sha256),
/// <c>GET /{repo}/resolve/{rev or commit}/{path}</c> — small files served directly with <c>ETag</c> = git blob id,
/// LFS files (.onnx, .pb, .onnx_data) redirected (302) to a second port standing in for the CDN, with
/// <c>X-Linked-Etag</c> = SHA-256 and <c>X-Linked-Size</c> — and <c>Range</c> requests (206 / 416). It can also fail
/// on purpose: a token it requires (401), a gate (403 GatedRepo), a connection dropped, stalled or a file corrupted.
/// Every request is recorded.
/// </summary>
public sealed class LoopbackHub : IDisposable
{
    public sealed record Request(string Server, string Path, string? Range, string? Authorization);

    private sealed record Blob(string Path, byte[] Content, string Sha256, string GitBlobId, bool Lfs);

    private sealed class Fault
    {
        public long AfterBytes;
        public int Times;
        public bool Stall;
    }

    private static readonly string[] LfsExtensions = [".onnx", ".pb", ".onnx_data"];

    private const int BindAttempts = 20;

    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly int _hubPort;
    private readonly int _cdnPort;
    private readonly ConcurrentDictionary<string, Fault> _faults = new();
    private readonly ConcurrentDictionary<string, bool> _corrupt = new();
    private Dictionary<string, Blob> _files = [];

    public LoopbackHub(string repository, string revision, IReadOnlyDictionary<string, byte[]> files)
        : this(repository, revision, files, FreePort) { }

    /// <param name="proposePort">Proposes a free port; asked again when
    /// a proposed port was taken before the listener bound it.</param>
    public LoopbackHub(
        string repository,
        string revision,
        IReadOnlyDictionary<string, byte[]> files,
        Func<int> proposePort
    )
    {
        Repository = repository;
        Revision = revision;
        Serve(files);
        (_listener, _hubPort, _cdnPort) = Listen(proposePort);
        _ = Task.Run(LoopAsync);
    }

    public string Endpoint => $"http://127.0.0.1:{_hubPort}";

    public string Repository { get; }

    public string Revision { get; }

    /// <summary>The commit the revision points to; it changes whenever <see cref="Serve"/> changes the files.</summary>
    public string Commit { get; private set; } = "";

    /// <summary>
    /// When set, every request to the hub port needs <c>Authorization: Bearer {token}</c> (a private repository).
    /// </summary>
    public string? RequiredToken { get; set; }

    /// <summary>Downloads answer 403 GatedRepo: the token's account has not accepted the license.</summary>
    public bool Gated { get; set; }

    public ConcurrentQueue<Request> Requests { get; } = new();

    public IReadOnlyCollection<string> Paths => _files.Keys;

    public long TotalBytes(IEnumerable<string> paths) => paths.Sum(p => (long)_files[p].Content.Length);

    public byte[] Content(string path) => _files[path].Content;

    /// <summary>
    /// A fixture folder's committed files (<see cref="RepoPaths.CommittedFiles"/>) by repository path.
    /// </summary>
    public static Dictionary<string, byte[]> ReadFolder(string folder) =>
        RepoPaths
            .CommittedFiles(folder)
            .ToDictionary(
                file => Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/'),
                File.ReadAllBytes,
                StringComparer.Ordinal
            );

    /// <summary>Serves these files as the repository's new commit.</summary>
    public void Serve(IReadOnlyDictionary<string, byte[]> content)
    {
        var files = new Dictionary<string, Blob>(StringComparer.Ordinal);
        foreach (var (path, bytes) in content)
            Add(files, path, bytes);
        _files = files;
        Commit = Convert.ToHexStringLower(
            SHA1.HashData(
                Encoding.UTF8.GetBytes(
                    string.Join("\n", files.Values.OrderBy(b => b.Path).Select(b => b.Path + " " + b.Sha256))
                )
            )
        );
    }

    /// <summary>
    /// The next <paramref name="times"/> transfers of <paramref name="path"/>
    /// send <paramref name="afterBytes"/> bytes, then drop the connection.
    /// </summary>
    public void DropConnection(string path, long afterBytes, int times = 1) =>
        _faults[path] = new Fault { AfterBytes = afterBytes, Times = times };

    /// <summary>
    /// The next <paramref name="times"/> transfers of <paramref name="path"/>
    /// send <paramref name="afterBytes"/> bytes, then go silent.
    /// </summary>
    public void Stall(string path, long afterBytes, int times = 1) =>
        _faults[path] = new Fault
        {
            AfterBytes = afterBytes,
            Times = times,
            Stall = true,
        };

    /// <summary>
    /// Serves <paramref name="path"/> with one byte changed (the
    /// listing still has the true checksum) until told otherwise.
    /// </summary>
    public void Corrupt(string path, bool corrupt = true) => _corrupt[path] = corrupt;

    public IEnumerable<Request> Downloads(string path) =>
        Requests.Where(r =>
            r.Path.EndsWith("/" + path, StringComparison.Ordinal)
            || (_files.TryGetValue(path, out var b) && r.Path == "/lfs/" + b.Sha256)
        );

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }

    private static void Add(Dictionary<string, Blob> files, string path, byte[] content)
    {
        var header = Encoding.ASCII.GetBytes($"blob {content.Length}\0");
        files[path] = new Blob(
            path,
            content,
            Convert.ToHexStringLower(SHA256.HashData(content)),
            Convert.ToHexStringLower(SHA1.HashData([.. header, .. content])),
            LfsExtensions.Any(path.EndsWith)
        );
    }

    // A proposed port is only free until someone binds it: another test's server or client may take it before the
    // listener does (the OS hands out released ports again), so a failed bind is tried again on new ports.
    private static (HttpListener Listener, int Hub, int Cdn) Listen(Func<int> proposePort)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (hub, cdn) = (proposePort(), proposePort());
            var listener = new HttpListener();
            try
            {
                if (hub == cdn)
                    throw new HttpListenerException(98, $"port {hub} proposed twice");
                listener.Prefixes.Add($"http://127.0.0.1:{hub}/");
                listener.Prefixes.Add($"http://127.0.0.1:{cdn}/");
                listener.Start();
                return (listener, hub, cdn);
            }
            catch (HttpListenerException) when (attempt < BindAttempts)
            {
                listener.Close();
            }
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        var cdn = request.Url.Port == _cdnPort;
        Requests.Enqueue(
            new Request(cdn ? "cdn" : "hub", path, request.Headers["Range"], request.Headers["Authorization"])
        );
        try
        {
            if (cdn)
            {
                var blob = _files.Values.FirstOrDefault(b => path == "/lfs/" + b.Sha256);
                if (blob is null)
                    Error(response, 404, "EntryNotFound", "no such object");
                else
                    await SendAsync(context, blob);
                return;
            }
            if (RequiredToken is not null && request.Headers["Authorization"] != $"Bearer {RequiredToken}")
            {
                Error(response, 401, null, "Invalid credentials in Authorization header");
                return;
            }
            var api = $"/api/models/{Repository}/revision/";
            var resolve = $"/{Repository}/resolve/";
            if (path.StartsWith(api, StringComparison.Ordinal))
            {
                if (path[api.Length..] is var revision && revision != Revision && revision != Commit)
                    Error(response, 404, "RevisionNotFound", $"Invalid rev id: {revision}");
                else
                    Json(response, Listing());
            }
            else if (path.StartsWith(resolve, StringComparison.Ordinal))
            {
                var rest = path[resolve.Length..];
                var (revision, file) = Split(rest);
                if (revision != Revision && revision != Commit)
                    Error(response, 404, "RevisionNotFound", $"Invalid rev id: {revision}");
                else if (!_files.TryGetValue(file, out var blob))
                    Error(response, 404, "EntryNotFound", $"{file} does not exist on \"{revision}\"");
                else if (Gated)
                    Error(
                        response,
                        403,
                        "GatedRepo",
                        $"Access to model {Repository} is restricted and you are not in the authorized list."
                    );
                else if (blob.Lfs)
                {
                    response.StatusCode = 302;
                    response.Headers["X-Repo-Commit"] = Commit;
                    response.Headers["X-Linked-Etag"] = $"\"{blob.Sha256}\"";
                    response.Headers["X-Linked-Size"] = blob.Content.Length.ToString();
                    response.Headers["ETag"] = $"\"{blob.GitBlobId}\"";
                    response.RedirectLocation = $"http://127.0.0.1:{_cdnPort}/lfs/{blob.Sha256}";
                    response.Close();
                }
                else
                {
                    response.Headers["X-Repo-Commit"] = Commit;
                    response.Headers["ETag"] = $"\"{blob.GitBlobId}\"";
                    await SendAsync(context, blob);
                }
            }
            else
            {
                Error(response, 404, "RepoNotFound", "Repository not found");
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
        catch (HttpListenerException)
        {
            // the client went away (a test's timeout); nothing to answer
        }
    }

    private static (string Revision, string File) Split(string rest)
    {
        // Revisions such as refs/pr/1 arrive %2F-escaped and so come
        // unescaped here; the test repositories use plain ones.
        var slash = rest.IndexOf('/');
        return slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
    }

    private async Task SendAsync(HttpListenerContext context, Blob blob)
    {
        var response = context.Response;
        var content = blob.Content;
        if (_corrupt.TryGetValue(blob.Path, out var corrupt) && corrupt)
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0x5a;
        }
        long start = 0;
        if (
            context.Request.Headers["Range"] is { } range
            && range.StartsWith("bytes=", StringComparison.Ordinal)
            && range.EndsWith('-')
        )
        {
            start = long.Parse(range["bytes=".Length..^1]);
            if (start >= content.Length)
            {
                response.StatusCode = 416;
                response.Headers["Content-Range"] = $"bytes */{content.Length}";
                response.Close();
                return;
            }
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        response.Headers["Accept-Ranges"] = "bytes";
        response.ContentLength64 = content.Length - start;
        var body = content.AsMemory((int)start);
        if (_faults.TryGetValue(blob.Path, out var fault) && Interlocked.Decrement(ref fault.Times) >= 0)
        {
            var first = (int)Math.Min(fault.AfterBytes, body.Length);
            await response.OutputStream.WriteAsync(body[..first]);
            await response.OutputStream.FlushAsync();
            if (fault.Stall)
                await Task.Delay(TimeSpan.FromSeconds(30), _stop.Token).ContinueWith(_ => { });
            response.Abort();
            return;
        }
        await response.OutputStream.WriteAsync(body);
        response.Close();
    }

    private object Listing() =>
        new
        {
            id = Repository,
            sha = Commit,
            siblings = _files
                .Values.OrderBy(b => b.Path, StringComparer.Ordinal)
                .Select(b =>
                    b.Lfs
                        ? (object)
                            new
                            {
                                rfilename = b.Path,
                                blobId = PointerBlobId(b),
                                size = b.Content.Length,
                                lfs = new
                                {
                                    sha256 = b.Sha256,
                                    size = b.Content.Length,
                                    pointerSize = Pointer(b).Length,
                                },
                            }
                        : new
                        {
                            rfilename = b.Path,
                            blobId = b.GitBlobId,
                            size = b.Content.Length,
                        }
                ),
        };

    // What git stores for an LFS file: a pointer whose blob id the hub reports as blobId.
    private static byte[] Pointer(Blob b) =>
        Encoding.ASCII.GetBytes(
            $"version https://git-lfs.github.com/spec/v1\noid sha256:{b.Sha256}\nsize {b.Content.Length}\n"
        );

    private static string PointerBlobId(Blob b)
    {
        var pointer = Pointer(b);
        return Convert.ToHexStringLower(
            SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {pointer.Length}\0"), .. pointer])
        );
    }

    private static void Json(HttpListenerResponse response, object body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength64 = bytes.Length;
        response.OutputStream.Write(bytes);
        response.Close();
    }

    private static void Error(HttpListenerResponse response, int status, string? code, string message)
    {
        response.StatusCode = status;
        if (code is not null)
            response.Headers["X-Error-Code"] = code;
        response.Headers["X-Error-Message"] = message;
        Json(response, new { error = message });
    }
}
