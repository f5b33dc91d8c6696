namespace Pix2PixZero.Functions.Triggers;

/// <summary>
/// Every HTTP route of the app. host.json sets no route prefix, so the web page can answer at the site root; the API
/// keeps its <c>api/</c> prefix here. The page names its files and the API by these paths from the site root.
/// </summary>
public static class Routes
{
    /// <summary>
    /// The site root only: an optional parameter of length 0 (the Functions host matches no empty route).
    /// </summary>
    public const string Page = "{root:maxlength(0)?}";

    /// <summary>
    /// The page at a plain path, which no Functions host answers with its own start page (the root may be one).
    /// </summary>
    public const string PageAtPath = "app";

    public const string PageAsset = "app/{file}";

    public const string PageExample = "app/examples/{file}";

    public const string Edits = "api/edits";

    public const string Edit = "api/edits/{id}";

    public const string EditCancel = "api/edits/{id}/cancel";

    public const string EditResult = "api/edits/{id}/results/{task}";

    public const string Directions = "api/directions";

    public const string Direction = "api/directions/{word}";
}
