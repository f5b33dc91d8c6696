using System.Diagnostics;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Quantization;
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
    public async Task A_cat_photo_edited_into_a_dog_shows_its_progress_rides_out_lost_polls_and_ends_with_a_result()
    {
        await using var session = await Session.StartAsync(azurite.Storage);
        var page = session.Page;
        await page.SetViewportSizeAsync(1280, 800);
        var apiRequests = new List<IRequest>();
        page.Request += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath.StartsWith("/api/", StringComparison.Ordinal))
                apiRequests.Add(request);
        };
        // While set, every status poll fails as a dropped connection would.
        var dropPolls = false;
        await page.RouteAsync("**/api/edits/*", route =>
            dropPolls && route.Request.Method == "GET"
                ? route.AbortAsync("internetdisconnected")
                : route.ContinueAsync()
        );
        await session.OpenAsync();

        await page.Locator("#photo").SetInputFilesAsync(RepoPaths.Image("cat_1.png"));
        await PreviewShownAsync(page);
        await page.GetByLabel(CatToDog).CheckAsync();
        await page.GetByLabel("Steps", new() { Exact = true }).FillAsync("50");
        var submitted = await SubmitAsync(page);
        Assert.Equal(202, submitted.Status);
        var id = (await submitted.JsonAsync())!.Value.GetProperty("id").GetString()!;

        // Something visible happens: the progress is on screen with the focus, the request id is shown and in the
        // address, and the button says it is busy.
        await Expect(page.Locator("#progress-heading")).ToBeFocusedAsync();
        await Expect(page.Locator("#progress-heading")).ToBeInViewportAsync();
        await Expect(page.Locator("#request-line")).ToContainTextAsync(id);
        Assert.EndsWith($"#id={id}", page.Url);
        await Expect(page.Locator("#submit")).ToHaveTextAsync("Editing…");
        await Expect(page.Locator("#submit")).ToBeDisabledAsync();

        // The overall bar, read every 100 ms until the results show: it must pass through several values on its way.
        // Once the edit stage is under way (and its screenshot taken), polls are dropped until the page says it is
        // reconnecting, then let through again. The request may end while the polls are dropped: the page must still
        // end with its result.
        var overall = page.Locator("#overall-bar");
        var values = new List<double>();
        string? progressShot = null;
        var reconnected = false;
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
            if (!reconnected && progressShot is not null)
            {
                dropPolls = true;
                await Expect(page.Locator("#status-line")).ToContainTextAsync("Reconnecting…");
                await Expect(page.Locator(".stages .current")).ToContainTextAsync("reconnecting…");
                await Expect(page.Locator("#stages")).Not.ToContainTextAsync("running");
                await Chromium.ScreenshotAsync(page, "web-reconnecting");
                await AssertAccessibleAsync(page);
                dropPolls = false;
                reconnected = true;
            }
            await Task.Delay(100);
        }
        Assert.True(reconnected, "the polls were never dropped");
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
        await Expect(page.Locator("#results-heading")).ToBeFocusedAsync();
        await Expect(page.Locator("#submit")).ToHaveTextAsync("Edit the photo");

        // The card says what the edit was and the caption the model wrote.
        var card = page.Locator(".result").First;
        await Expect(card.Locator("h3")).ToHaveTextAsync(CatToDog);
        var manifest = await session.Pipeline.Blobs.ReadJsonAsync<EditManifest>(StorageLayout.Manifest(id), default);
        await Expect(card.Locator(".caption")).ToHaveTextAsync($"Caption: \"{manifest!.Caption}\"");

        // The result is a decoded picture at the model's size, beside the photo.
        var result = page.GetByAltText($"The result of {CatToDog}");
        var decoded = await result.EvaluateAsync<int[]>(
            "async img => { await img.decode(); return [img.naturalWidth, img.naturalHeight]; }"
        );
        Assert.Equal((128, 128), (decoded[0], decoded[1]));
        var photo = await page.GetByAltText("Your photo, cat_1.png")
            .Last.EvaluateAsync<int[]>("img => [img.naturalWidth, img.naturalHeight]");
        Assert.Equal((512, 512), (photo[0], photo[1]));

        await SaveSmallAsync(await card.ScreenshotAsync(), "web-result-card");

        var slider = page.GetByLabel($"Compare {CatToDog} with your photo");
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

        // The history lists the request as done, with a link back to it.
        var entry = page.Locator("#history-list li").First;
        await Expect(entry).ToContainTextAsync($"cat_1.png: {CatToDog} · done");
        await Expect(entry.GetByRole(AriaRole.Link)).ToHaveAttributeAsync("href", $"#id={id}");

        // The key went with every API call and into neither the address nor the browser's lasting storage.
        Assert.Contains(apiRequests, r => r.Method == "POST");
        Assert.All(apiRequests, r => Assert.Equal(session.Web.Key, r.Headers.GetValueOrDefault("x-functions-key")));
        Assert.DoesNotContain(session.Web.Key, page.Url);
        var stored = await page.EvaluateAsync<string>(
            "() => JSON.stringify(Object.entries(localStorage)) + document.cookie"
        );
        Assert.Contains(id, stored);
        Assert.DoesNotContain(session.Web.Key, stored);
    }

    [Fact]
    public async Task A_reload_in_the_middle_of_an_edit_follows_the_same_request_to_its_result()
    {
        await using var session = await Session.StartAsync(azurite.Storage);
        var page = session.Page;
        await session.OpenAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Use the example photo cat_2.png" }).ClickAsync();
        await PreviewShownAsync(page);
        Assert.Equal("Your photo, cat_2.png", await page.Locator("#preview").GetAttributeAsync("alt"));
        await page.GetByLabel(CatToDog).CheckAsync();
        await page.GetByLabel("Steps", new() { Exact = true }).FillAsync("20");
        var submitted = await SubmitAsync(page);
        var id = (await submitted.JsonAsync())!.Value.GetProperty("id").GetString()!;
        await Expect(page.Locator(".stages .current")).ToContainTextAsync("step", new() { Timeout = 120_000 });

        await page.ReloadAsync();

        Assert.EndsWith($"#id={id}", page.Url);
        await Expect(page.Locator("#request-line")).ToContainTextAsync(id);
        await Expect(page.Locator("#results")).ToBeVisibleAsync(new() { Timeout = 180_000 });
        await Expect(page.GetByAltText($"The result of {CatToDog}")).ToBeVisibleAsync();
        await Expect(page.Locator("#history-list li").First).ToContainTextAsync($"cat_2.png: {CatToDog} · done");
        Assert.True(await session.Pipeline.Blobs.ExistsAsync(StorageLayout.Manifest(id), default));
    }

    [Fact]
    public async Task A_cancelled_edit_says_cancelled_and_publishes_nothing_and_at_375_px_every_bar_is_legible()
    {
        await using var session = await Session.StartAsync(azurite.Storage);
        var page = session.Page;
        await page.SetViewportSizeAsync(375, 800);
        await session.OpenAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Use the example photo cat_1.png" }).ClickAsync();
        await PreviewShownAsync(page);
        await page.GetByLabel(CatToDog).CheckAsync();
        await page.GetByLabel("Steps", new() { Exact = true }).FillAsync("999");
        await page.GetByText("More options").ClickAsync();
        await page.GetByLabel("Describe your photo").FillAsync("a cat");
        var submitted = await SubmitAsync(page);
        var id = (await submitted.JsonAsync())!.Value.GetProperty("id").GetString()!;
        await Expect(page.Locator(".stages .current")).ToContainTextAsync("step", new() { Timeout = 120_000 });

        var widths = await page.Locator("#progress progress")
            .EvaluateAllAsync<double[]>("bars => bars.map(bar => bar.getBoundingClientRect().width)");
        Assert.Equal(6, widths.Length);
        Assert.All(widths, width =>
            Assert.True(width >= 100, $"a bar is {width} px wide: {string.Join(", ", widths)}")
        );
        await Chromium.ScreenshotAsync(page, "web-running-375");
        await AssertAccessibleAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel this edit" }).ClickAsync();

        await Expect(page.Locator("#status-line"))
            .ToContainTextAsync("Cancelled in the stage", new() { Timeout = 30_000 });
        await Expect(page.Locator("#status-line")).ToContainTextAsync("nothing was published");
        await Expect(page.Locator(".stages .current")).ToContainTextAsync("cancelled");
        await Expect(page.Locator("#cancel")).ToBeHiddenAsync();
        await Expect(page.Locator("#results")).ToBeHiddenAsync();
        await Expect(page.Locator("#history-list li").First).ToContainTextAsync("cancelled");
        await Chromium.ScreenshotAsync(page, "web-cancelled");
        await AssertAccessibleAsync(page);
        var error = await session.Pipeline.Blobs.ReadJsonAsync<EditError>(StorageLayout.Error(id), default);
        Assert.Equal(EditError.Cancelled, error!.Kind);
        Assert.False(await session.Pipeline.Blobs.ExistsAsync(StorageLayout.Manifest(id), default));
    }

    [Fact]
    public async Task Enter_in_the_own_edit_fields_adds_the_edit_and_a_sentence_file_is_posted_as_its_sentence_set()
    {
        await using var session = await Session.StartAsync(azurite.Storage);
        var page = session.Page;
        var posts = new List<IRequest>();
        page.Request += (_, request) =>
        {
            if (request.Method == "POST")
                posts.Add(request);
        };
        await session.OpenAsync();

        await page.Locator("#source-word").FillAsync("cat");
        await page.Locator("#target-word").FillAsync("Lion");
        await page.Locator("#target-word").PressAsync("Enter");

        Assert.True(await page.GetByLabel("cat → lion").IsCheckedAsync());
        Assert.Empty(posts);
        await Expect(page.Locator("#source-word")).ToBeFocusedAsync();

        await page.Locator("summary", new() { HasText = "Your own sentences" }).ClickAsync();
        await page.Locator("#source-word").FillAsync("dog");
        await page.Locator("#target-word").FillAsync("wolf");
        await page.GetByLabel("Sentences for the \"to\" word")
            .SetInputFilesAsync(
                new FilePayload
                {
                    Name = "wolves.txt",
                    MimeType = "text/plain",
                    Buffer = System.Text.Encoding.UTF8.GetBytes("a wolf in the snow.\n\na photo of a wolf.\n"),
                }
            );
        var posted = await page.RunAndWaitForResponseAsync(
            () => page.Locator("#source-word").PressAsync("Enter"),
            response => response.Url.EndsWith("/api/directions", StringComparison.Ordinal)
        );
        Assert.Equal(202, posted.Status);
        var set = (await posted.JsonAsync())!.Value.GetProperty("sentenceSetHash").GetString()!;
        Assert.Contains("\"sentences\":[\"a wolf in the snow.\",\"a photo of a wolf.\"]", posted.Request.PostData);
        Assert.True(await page.GetByLabel("dog → wolf (your sentences)").IsCheckedAsync());

        // The edit posts the set for the word its tasks use; the upload is stopped here, its body is what counts.
        await page.RouteAsync("**/api/edits", route => route.AbortAsync());
        await page.GetByRole(AriaRole.Button, new() { Name = "Use the example photo cat_3.png" }).ClickAsync();
        await PreviewShownAsync(page);
        var upload = await page.RunAndWaitForRequestAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Edit the photo" }).ClickAsync(),
            request => request.Method == "POST" && request.Url.EndsWith("/api/edits", StringComparison.Ordinal)
        );
        var body = System.Text.Encoding.UTF8.GetString(upload.PostDataBuffer!);
        Assert.Contains($"wolf={set}", body);
        Assert.Contains("cat2lion,dog2wolf", body);
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

        // A good photo, then one that is too large: 256 KiB requests leave 192 KiB for the photo, and cat_1.png is
        // larger. The refused file takes the good one's place: no preview, and nothing for Edit to send.
        await ChooseSmallPhotoAsync(page);
        await page.Locator("#photo").SetInputFilesAsync(RepoPaths.Image("cat_1.png"));
        var kib = Math.Ceiling(new FileInfo(RepoPaths.Image("cat_1.png")).Length / 1024.0);
        await Expect(problem).ToContainTextAsync($"\"cat_1.png\" is {kib} KiB; photos of up to 192 KiB are accepted");
        Assert.True(await page.Locator("#preview").IsHiddenAsync());
        Assert.Null(await page.Locator("#preview").GetAttributeAsync("src"));
        await page.GetByLabel(CatToDog).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit the photo" }).ClickAsync();
        await Expect(problem).ToContainTextAsync("Choose a photo.");
        Assert.Empty(uploads);
        await page.GetByLabel(CatToDog).UncheckAsync();

        // What the page lets through, the API judges: an edit of a word into itself is refused with problem details.
        await ChooseSmallPhotoAsync(page);
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

        await ChooseSmallPhotoAsync(page);
        await page.GetByLabel(CatToDog).CheckAsync();
        var submitted = await SubmitAsync(page);
        var id = (await submitted.JsonAsync())!.Value.GetProperty("id").GetString()!;

        var problem = page.Locator("#problem");
        await Expect(problem).ToContainTextAsync("The edit failed in the stage", new() { Timeout = 120_000 });
        var error = await session.Pipeline.Blobs.ReadJsonAsync<EditError>(StorageLayout.Error(id), default);
        Assert.NotNull(error);
        await Expect(problem).ToContainTextAsync($"The edit failed in the stage \"{error.Stage.DisplayName}\"");
        await Expect(problem).ToContainTextAsync(error.Message);
        await Expect(page.Locator(".stages .current")).ToContainTextAsync("failed");
        await Chromium.ScreenshotAsync(page, "web-failed");
        await AssertAccessibleAsync(page);
    }

    [Fact]
    public async Task The_page_has_no_accessibility_violation_and_works_from_the_keyboard()
    {
        await using var session = await Session.StartAsync(azurite.Storage);
        var page = session.Page;
        await session.OpenAsync();
        await Chromium.ScreenshotAsync(page, "web-idle");
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
        // The example photos come next, then the first edit.
        foreach (var example in new[] { "cat_1.png", "cat_2.png", "cat_3.png", "dog_1.png" })
        {
            await page.Keyboard.PressAsync("Tab");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Use the example photo {example}" }))
                .ToBeFocusedAsync();
        }
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

    /// <summary>axe finds no violation of any impact, minor ones included.</summary>
    private static async Task AssertAccessibleAsync(IPage page)
    {
        var scan = await page.RunAxe();
        Assert.True(
            scan.Violations.Length == 0,
            string.Join(
                Environment.NewLine,
                scan.Violations.Select(v =>
                    $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}"
                )
            )
        );
    }

    /// <summary>
    /// A screenshot 560 px wide in at most 128 colours, small enough for the repository: docs/web-result.png is the
    /// result card saved so (artifacts/screenshots/web-result-card.png).
    /// </summary>
    private static async Task SaveSmallAsync(byte[] screenshot, string name)
    {
        using var image = Image.Load(screenshot);
        image.Mutate(x => x.Resize(560, 0));
        await image.SaveAsPngAsync(
            Path.Combine(RepoPaths.Root, "artifacts", "screenshots", $"{name}.png"),
            new PngEncoder
            {
                ColorType = PngColorType.Palette,
                Quantizer = new WuQuantizer(new QuantizerOptions { MaxColors = 128, Dither = null }),
                CompressionLevel = PngCompressionLevel.BestCompression,
            }
        );
    }

    /// <summary>
    /// Chooses a 96×96 copy of cat_1.png, small enough for any request limit, and waits for its preview.
    /// </summary>
    private static async Task ChooseSmallPhotoAsync(IPage page)
    {
        using var image = Image.Load(RepoPaths.Image("cat_1.png"));
        image.Mutate(x => x.Resize(96, 96));
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        await page.Locator("#photo")
            .SetInputFilesAsync(
                new FilePayload
                {
                    Name = "small-cat.png",
                    MimeType = "image/png",
                    Buffer = png.ToArray(),
                }
            );
        await PreviewShownAsync(page);
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
