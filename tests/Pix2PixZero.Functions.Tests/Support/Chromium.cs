using Microsoft.Playwright;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// Debian's Chromium (installed by scripts/install-chromium.sh; Playwright's own browser downloads cannot be fetched
/// here) driven by Playwright: headless, in a fresh profile folder, with background networking off (this closed
/// network refuses the connections Chromium would otherwise open at start).
/// </summary>
public sealed class Chromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] Flags =
    [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];

    private readonly IPlaywright _playwright;
    private readonly DirectoryInfo _profile;

    private Chromium(IPlaywright playwright, IBrowserContext context, DirectoryInfo profile) =>
        (_playwright, Context, _profile) = (playwright, context, profile);

    public IBrowserContext Context { get; }

    public IPage Page => Context.Pages[0];

    public static async Task<Chromium> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException(
                $"Chromium is not installed at {ExecutablePath}; run "
                    + "scripts/install-chromium.sh (scripts/test.sh runs it)"
            );
        var playwright = await Playwright.CreateAsync();
        var profile = Directory.CreateTempSubdirectory("p2pz-chromium-");
        var context = await playwright.Chromium.LaunchPersistentContextAsync(
            profile.FullName,
            new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Flags,
                AcceptDownloads = true,
                ViewportSize = new ViewportSize { Width = 1100, Height = 1400 },
            }
        );
        return new Chromium(playwright, context, profile);
    }

    /// <summary>Saves a full-page screenshot as artifacts/screenshots/{name}.png and returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(RepoPaths.Root, "artifacts", "screenshots", $"{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Context.CloseAsync();
        _playwright.Dispose();
        _profile.Delete(recursive: true);
    }
}
