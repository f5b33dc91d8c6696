using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Requests;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Web;

namespace Pix2PixZero.Functions.Tests.Web;

/// <summary>
/// What the app serves for the page, over HTTP from its functions on Kestrel: files, headers, form and edits.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed partial class WebPageHttpTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private PipelineTestHost _pipeline = null!;
    private FunctionsWebHost _web = null!;

    public async Task InitializeAsync()
    {
        _pipeline = await PipelineTestHost.StartAsync(azurite.Storage);
        _web = await FunctionsWebHost.StartAsync(_pipeline);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _web.DisposeAsync();
        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task The_page_and_every_file_it_names_are_served_without_a_key_from_this_origin_only()
    {
        using var page = await _http.GetAsync(_web.Address);
        Assert.Equal((HttpStatusCode.OK, "text/html"), (page.StatusCode, page.Content.Headers.ContentType!.MediaType));
        var html = await page.Content.ReadAsStringAsync();
        var files = PageFiles().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["/app/app.css", "/app/app.js"], files.Order());

        var texts = new List<string> { html };
        foreach (var (file, type) in files.Zip(files.Select(f => f.EndsWith(".css") ? "text/css" : "text/javascript")))
        {
            using var response = await _http.GetAsync(new Uri(_web.Address, file));
            Assert.Equal(
                (HttpStatusCode.OK, type),
                (response.StatusCode, response.Content.Headers.ContentType!.MediaType)
            );
            Assert.Equal(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
                    + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                response.Headers.GetValues("Content-Security-Policy").Single()
            );
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            texts.Add(await response.Content.ReadAsStringAsync());

            using var again = new HttpRequestMessage(HttpMethod.Get, new Uri(_web.Address, file));
            again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            Assert.Equal(HttpStatusCode.NotModified, (await _http.SendAsync(again)).StatusCode);
        }
        // Nothing from elsewhere: the page works offline.
        Assert.All(texts, text => Assert.DoesNotMatch("https?://|(src|href)=\"//|url\\(", text));
        Assert.Equal(["app.css", "app.js", "index.html"], WebPage.Files.Order());
    }

    [Theory]
    [InlineData("app")]
    [InlineData("app/")]
    public async Task The_page_is_served_at_a_plain_path_too_which_no_host_start_page_can_take(string path)
    {
        using var response = await _http.GetAsync(new Uri(_web.Address, path));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(await _http.GetStringAsync(_web.Address), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_example_photos_are_the_repositorys_own_listed_in_the_form_and_served_as_they_are()
    {
        var form = JsonDocument.Parse(await _http.GetStringAsync(new Uri(_web.Address, "app/form.json"))).RootElement;
        var listed = form.GetProperty("examples").EnumerateArray().Select(e => e.GetString()!).ToList();
        var images = Path.GetDirectoryName(RepoPaths.Image("cat_1.png"))!;
        Assert.Equal(Directory.GetFiles(images, "*.png").Select(Path.GetFileName).Order(), listed);
        foreach (var name in listed)
        {
            using var response = await _http.GetAsync(new Uri(_web.Address, $"app/examples/{name}"));
            Assert.Equal(
                (HttpStatusCode.OK, "image/png"),
                (response.StatusCode, response.Content.Headers.ContentType!.MediaType)
            );
            Assert.Equal(
                await File.ReadAllBytesAsync(RepoPaths.Image(name)),
                await response.Content.ReadAsByteArrayAsync()
            );
        }
        using var missing = await _http.GetAsync(new Uri(_web.Address, "app/examples/..%2Fcat_1.png"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("app/nope.js")]
    [InlineData("app/WebPage.cs")]
    [InlineData("app/..%2FWebPage.cs")]
    public async Task A_file_the_page_does_not_have_is_a_404_problem(string path)
    {
        using var response = await _http.GetAsync(new Uri(_web.Address, path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task The_form_offers_each_option_with_the_range_and_default_the_api_applies()
    {
        var form = JsonDocument.Parse(await _http.GetStringAsync(new Uri(_web.Address, "app/form.json"))).RootElement;

        Assert.Equal(
            new AppSettings().MaxRequestBytes - EditForm.FormAllowance,
            form.GetProperty("maxImageBytes").GetInt64()
        );
        Assert.Equal(
            EditStatus.Stages.Select(s => (s.Name, s.DisplayName)),
            form.GetProperty("stages")
                .EnumerateArray()
                .Select(s => (s.GetProperty("name").GetString()!, s.GetProperty("label").GetString()!))
        );
        var fields = form.GetProperty("options").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(["caption", "guidance", "multiplier", "seed", "sentences", "steps", "xa"], fields.Keys.Order());
        Assert.All(fields.Keys, name => Assert.True(EditRequestParser.Accepted.ContainsKey(name), name));
        // Plain labels; the help ends with the API's own description, which names the method's symbol.
        Assert.Equal("Keep the photo's layout", fields["xa"].GetProperty("label").GetString());
        Assert.EndsWith($"API: {EditRequestParser.Accepted["xa"]}.", fields["xa"].GetProperty("help").GetString());
        Assert.Contains("λ_xa", fields["xa"].GetProperty("help").GetString());
        Assert.Equal("Edit strength", fields["multiplier"].GetProperty("label").GetString());
        // The method's fields are the table's entries that have a place on the form, with its words and numbers.
        foreach (var h in MethodParameters.Table.All)
        {
            Assert.Equal(h.Form != FormPlacement.None, fields.ContainsKey(h.Field));
            if (!fields.TryGetValue(h.Field, out var field))
                continue;
            Assert.Equal(
                (h.Label, h.Kind, h.DefaultValue, h.Form == FormPlacement.Advanced),
                (
                    field.GetProperty("label").GetString(),
                    field.GetProperty("kind").GetString(),
                    field.GetProperty("default").GetString(),
                    field.GetProperty("advanced").GetBoolean()
                )
            );
            Assert.Equal(
                (h.Min, h.MinExclusive, h.Max, h.Whole),
                (
                    Number(field.GetProperty("min")),
                    field.GetProperty("minExclusive").GetBoolean(),
                    Number(field.GetProperty("max")),
                    field.GetProperty("whole").GetBoolean()
                )
            );
            Assert.Equal($"{h.Help} API: {h.Description}.", field.GetProperty("help").GetString());
        }
        Assert.Equal(
            ["50", "5", "0.1", "0", "1000", "1"],
            new[] { "steps", "guidance", "xa", "seed", "sentences", "multiplier" }.Select(n =>
                fields[n].GetProperty("default").GetString()
            )
        );

        // Each bound is where the API's own validation draws it: the bound is accepted (unless exclusive), a step
        // beyond it is refused.
        foreach (var (name, field) in fields)
        {
            if (field.GetProperty("kind").GetString() == "text")
            {
                var length = field.GetProperty("maxLength").GetInt32();
                Assert.True(Accepts(name, new string('a', length)));
                Assert.False(Accepts(name, new string('a', length + 1)));
                continue;
            }
            Assert.True(Accepts(name, field.GetProperty("default").GetString()!), $"{name} default");
            var beyond = field.GetProperty("whole").GetBoolean() ? 1 : 0.001;
            var min = field.GetProperty("min").GetDouble();
            Assert.Equal(!field.GetProperty("minExclusive").GetBoolean(), Accepts(name, Text(min)));
            Assert.False(Accepts(name, Text(min - beyond)), $"{name} below its minimum");
            if (field.GetProperty("max").ValueKind == JsonValueKind.Null)
                continue;
            var max = field.GetProperty("max").GetDouble();
            Assert.True(Accepts(name, Text(max)), $"{name} at its maximum");
            Assert.False(Accepts(name, Text(max + beyond)), $"{name} above its maximum");
        }
    }

    [Fact]
    public async Task The_directions_api_lists_the_ready_made_edits_behind_the_function_key()
    {
        var uri = new Uri(_web.Address, "api/directions");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.GetAsync(uri)).StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, uri)
        {
            Headers = { { "x-functions-key", _web.Key } },
        };
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var edits = JsonDocument
            .Parse(await response.Content.ReadAsStringAsync())
            .RootElement.GetProperty("edits")
            .EnumerateArray()
            .ToList();
        Assert.Equal(
            ["cat2dog", "dog2cat", "horse2zebra", "zebra2horse"],
            edits.Select(e => e.GetProperty("task").GetString())
        );
        Assert.All(edits, e =>
            Assert.Equal(
                EditTask.Parse(e.GetProperty("task").GetString()),
                new EditTask(
                    EditWord.Parse(e.GetProperty("source").GetString()),
                    EditWord.Parse(e.GetProperty("target").GetString())
                )
            )
        );
    }

    private static bool Accepts(string name, string value)
    {
        try
        {
            EditRequestParser.Parse(new Dictionary<string, string> { ["tasks"] = "cat2dog", [name] = value });
            return true;
        }
        catch (Pix2PixZeroException)
        {
            return false;
        }
    }

    private static double? Number(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null ? null : value.GetDouble();

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("(?:href|src)=\"(/app/[^\"]+)\"")]
    private static partial Regex PageFiles();
}
