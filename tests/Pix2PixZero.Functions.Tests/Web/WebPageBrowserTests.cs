using System.Diagnostics;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;
using static Microsoft.Playwright.Assertions;

namespace Pix2PixZero.Functions.Tests.Web;

/// <summary>
/// The web page in a real Chromium, against the app's HTTP functions on Kestrel, its orchestrations on the in-process
/// Durable host, Azurite and the tiny model. Screenshots of the page's states are saved in artifacts/screenshots/.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class WebPageBrowserTests(AzuriteFixture azurite)
{
    private const string CatToDog = "cat → dog";

    [Fact]
    public async Task A_cat_photo_edited_into_a_dog_shows_its_progress_moving_then_a_result_that_loads_and_downloads()
    {
        await using var session = await Session.StartAsync(azurite.Storage);
        var page = session.Page;
        var apiRequests = new List<IRequest>();
        page.Request += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath.StartsWith("/api/", StringComparison.Ordinal))
                apiRequests.Add(request);
        };
        await session.OpenAsync();

        await page.Locator("#photo").SetInputFilesAsync(RepoPaths.Image("cat_1.png"));
        await PreviewShownAsync(page);
        await page.GetByLabel(CatToDog).CheckAsync();
        await page.GetByLabel("Steps", new() { Exact = true }).FillAsync("20");
        var submitted = await SubmitAsync(page);
        Assert.Equal(202, submitted.Status);
        var id = (await submitted.JsonAsync())!.Value.GetProperty("id").GetString()!;

        // The overall bar, read every 100 ms until the results show: it must pass through several values on its way.
        var overall = page.Locator("#overall-bar");
        var values = new List<double>();
        string? progressShot = null;
        var clock = Stopwatch.StartNew();
        while (!await page.Locator("#results").IsVisibleAsync())
        {
            if (await page.Locator("#problem").IsVisibleAsync())
                Assert.Fail($"the page shows a problem: {await page.Locator("#problem").InnerTextAsync()}");
            Assert.True(
                clock.Elapsed < TimeSpan.FromMinutes(3),
                $"no result after 3 minutes; the bar showed {string.Join(", ", values)}"
            );
            var value = await overall.EvaluateAsync<double>("bar => bar.value");
            if (values.Count == 0 || value != values[^1])
                values.Add(value);
            if (progressShot is null && value is > 0.6 and < 1) // in the edit stage, past its first step
                progressShot = await Chromium.ScreenshotAsync(page, "web-progress");
            await Task.Delay(100);
        }
        Assert.Equal(1, await overall.EvaluateAsync<double>("bar => bar.value"));
        Assert.True(
            values.Zip(values.Skip(1)).All(pair => pair.Second > pair.First),
            $"the bar went back: {string.Join(", ", values)}"
        );
        Assert.True(
            values.Count(v => v is > 0 and < 1) >= 3,
            $"the bar should move through several values: {string.Join(", ", values)}"
        );
        Assert.NotNull(progressShot);

        // The result is a decoded picture at the model's size, beside the photo.
        var result = page.GetByAltText("The result of cat2dog");
        var decoded = await result.EvaluateAsync<int[]>(
            "async img => { await img.decode(); return [img.naturalWidth, img.naturalHeight]; }"
        );
        Assert.Equal((128, 128), (decoded[0], decoded[1]));
        var photo = await page.GetByAltText("Your photo, cat_1.png")
            .Last.EvaluateAsync<int[]>("img => [img.naturalWidth, img.naturalHeight]");
        Assert.Equal((512, 512), (photo[0], photo[1]));

        var slider = page.GetByLabel("Compare cat2dog with your photo");
        await slider.FocusAsync();
        await page.Keyboard.PressAsync("End");
        Assert.Equal(
            "100%",
            await page.Locator(".result .compare")
                .EvaluateAsync<string>("compare => compare.style.getPropertyValue('--split')")
        );

        var download = await page.RunAndWaitForDownloadAsync(() =>
            page.GetByRole(AriaRole.Link, new() { Name = "Download cat_1.cat2dog.png" }).ClickAsync()
        );
        Assert.Equal("cat_1.cat2dog.png", download.SuggestedFilename);
        var saved = Path.Combine(session.Scratch, download.SuggestedFilename);
        await download.SaveAsAsync(saved);
        var bytes = await File.ReadAllBytesAsync(saved);
        Assert.Equal(await session.Pipeline.Blobs.ReadAsync(StorageLayout.Result(id, "cat2dog"), default), bytes);
        using (var png = Image.Load(bytes))
            Assert.Equal((128, 128), (png.Width, png.Height));

        await Chromium.ScreenshotAsync(page, "web-result");
        await AssertAccessibleAsync(page);

        // The key went with every API call, and the page kept it nowhere.
        Assert.Contains(apiRequests, r => r.Method == "POST");
        Assert.All(apiRequests, r => Assert.Equal(session.Web.Key, r.Headers.GetValueOrDefault("x-functions-key")));
        Assert.DoesNotContain(session.Web.Key, page.Url);
        Assert.Equal(
            "0 0 ",
            await page.EvaluateAsync<string>(
                "() => `${localStorage.length} ${sessionStorage.length} ${document.cookie}`"
            )
        );
    }

    [Fact]
    public async Task Text_and_oversized_files_are_refused_before_upload_and_an_api_refusal_shows_its_problem_details()
    {
        await using var session = await Session.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?> { ["MaxRequestBytes"] = "262144" }
        );
        var page = session.Page;
        var uploads = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST")
                uploads.Add(request.Url);
        };
        await session.OpenAsync();
        var problem = page.Locator("#problem");

        // Dropped on the drop zone, as from a file manager.
        await page.Locator("#drop-zone")
            .EvaluateAsync(
                """
                zone => {
                  const files = new DataTransfer();
                  files.items.add(new File(['these are not pixels'], 'notes.txt', { type: 'text/plain' }));
                  zone.dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
                }
                """
            );
        await Expect(problem).ToContainTextAsync("This file cannot be used");
        await Expect(problem)
            .ToContainTextAsync("\"notes.txt\" is text/plain, and does not hold a PNG, JPEG or WebP image");
        await Chromium.ScreenshotAsync(page, "web-refused");

        // 256 KiB requests leave 192 KiB for the photo; cat_1.png is larger.
        await page.Locator("#photo").SetInputFilesAsync(RepoPaths.Image("cat_1.png"));
        var kib = Math.Ceiling(new FileInfo(RepoPaths.Image("cat_1.png")).Length / 1024.0);
        await Expect(problem).ToContainTextAsync($"\"cat_1.png\" is {kib} KiB; photos of up to 192 KiB are accepted");
        Assert.True(await page.Locator("#preview").IsHiddenAsync());
        Assert.Empty(uploads);

        // What the page lets through, the API judges: an edit of a word into itself is refused with problem details.
        await page.Locator("#photo")
            .SetInputFilesAsync(
                new FilePayload
                {
                    Name = "small-cat.png",
                    MimeType = "image/png",
                    Buffer = SmallPhoto(),
                }
            );
        await PreviewShownAsync(page);
        await page.Locator("#source-word").FillAsync("cat");
        await page.Locator("#target-word").FillAsync("Cat");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add this edit" }).ClickAsync();
        Assert.True(await page.GetByLabel("cat → cat").IsCheckedAsync());
        var refused = await SubmitAsync(page);
        Assert.Equal(400, refused.Status);
        var body = (await refused.JsonAsync())!.Value;
        await Expect(problem).ToContainTextAsync(body.GetProperty("title").GetString()!);
        await Expect(problem).ToContainTextAsync(body.GetProperty("detail").GetString()!);
        Assert.Contains("into itself", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_request_that_fails_shows_the_stage_and_the_message_of_its_error_record()
    {
        var noModel = Path.Combine(Path.GetTempPath(), $"p2pz-no-model-{Guid.NewGuid():N}");
        await using var session = await Session.StartAsync(
            azurite.Storage,
            new Dictionary<string, string?> { ["ModelDirectory"] = noModel, ["ActivityAttempts"] = "1" }
        );
        var page = session.Page;
        await session.OpenAsync();

        await page.Locator("#photo")
            .SetInputFilesAsync(
                new FilePayload
                {
                    Name = "small-cat.png",
                    MimeType = "image/png",
                    Buffer = SmallPhoto(),
                }
            );
        await PreviewShownAsync(page);
        await page.GetByLabel(CatToDog).CheckAsync();
        var submitted = await SubmitAsync(page);
        var id = (await submitted.JsonAsync())!.Value.GetProperty("id").GetString()!;

        var problem = page.Locator("#problem");
        await Expect(problem).ToContainTextAsync("The edit failed in the stage", new() { Timeout = 120_000 });
        var error = await session.Pipeline.Blobs.ReadJsonAsync<EditError>(StorageLayout.Error(id), default);
        Assert.NotNull(error);
        await Expect(problem).ToContainTextAsync($"The edit failed in the stage \"{error.Stage}\"");
        await Expect(problem).ToContainTextAsync(error.Message);
        await Chromium.ScreenshotAsync(page, "web-failed");
    }

    [Fact]
    public async Task The_page_has_no_serious_or_critical_accessibility_violations_and_works_from_the_keyboard()
    {
        await using var session = await Session.StartAsync(azurite.Storage);
        var page = session.Page;
        await session.OpenAsync();
        await AssertAccessibleAsync(page);

        // Playwright turns file-chooser interception on without waiting for the browser's answer; a listener added
        // here and one round trip make sure it is on before the key press (else the chooser opens natively, unseen).
        page.FileChooser += (_, _) => { };
        await page.EvaluateAsync("() => true");
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("photo", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.Keyboard.PressAsync("Enter"));
        await chooser.SetFilesAsync(RepoPaths.Image("cat_1.png"));
        await PreviewShownAsync(page);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Space");
        Assert.True(await page.GetByLabel(CatToDog).IsCheckedAsync());
        await AssertAccessibleAsync(page);
    }

    /// <summary>Clicks the submit button and returns the API's answer to the upload.</summary>
    private static Task<IResponse> SubmitAsync(IPage page) =>
        page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Edit the photo" }).ClickAsync(),
            response =>
                response.Request.Method == "POST" && response.Url.EndsWith("/api/edits", StringComparison.Ordinal)
        );

    private static Task PreviewShownAsync(IPage page) =>
        page.WaitForFunctionAsync("() => document.getElementById('preview').naturalWidth > 0");

    private static async Task AssertAccessibleAsync(IPage page)
    {
        var scan = await page.RunAxe();
        var serious = scan.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(
            serious.Count == 0,
            string.Join(
                Environment.NewLine,
                serious.Select(v => $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")
            )
        );
    }

    private static byte[] SmallPhoto()
    {
        using var image = Image.Load(RepoPaths.Image("cat_1.png"));
        image.Mutate(x => x.Resize(96, 96));
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    /// <summary>
    /// One test's pipeline, its HTTP functions on Kestrel and a browser, opened on the page with the key in the link.
    /// </summary>
    private sealed class Session : IAsyncDisposable
    {
        private Session(PipelineTestHost pipeline, FunctionsWebHost web, Chromium browser) =>
            (Pipeline, Web, Browser) = (pipeline, web, browser);

        public PipelineTestHost Pipeline { get; }

        public FunctionsWebHost Web { get; }

        public Chromium Browser { get; }

        public IPage Page => Browser.Page;

        public string Scratch { get; } = Directory.CreateTempSubdirectory("p2pz-web-").FullName;

        public static async Task<Session> StartAsync(Azurite storage, IDictionary<string, string?>? settings = null)
        {
            var pipeline = await PipelineTestHost.StartAsync(storage, settings);
            var web = await FunctionsWebHost.StartAsync(pipeline);
            return new Session(pipeline, web, await Chromium.LaunchAsync());
        }

        /// <summary>
        /// Opens the page as a link with the key in its fragment, and waits for the ready-made edits.
        /// </summary>
        public async Task OpenAsync()
        {
            await Page.GotoAsync(new Uri(Web.Address, $"#key={Web.Key}").ToString());
            await Expect(Page.GetByLabel(CatToDog)).ToBeVisibleAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Browser.DisposeAsync();
            await Web.DisposeAsync();
            await Pipeline.DisposeAsync();
            Directory.Delete(Scratch, recursive: true);
        }
    }
}
