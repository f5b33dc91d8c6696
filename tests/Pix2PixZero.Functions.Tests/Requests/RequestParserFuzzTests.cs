using Azure.Storage.Blobs;
using CsCheck;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Requests;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Requests;

/// <summary>
/// Property tests (CsCheck) over what a request carries: random blob names, upload file names and option sets meet
/// only the documented rejections (<see cref="Pix2PixZeroException"/>s of kind invalid input, which the API answers
/// with 400), and every name that is accepted addresses, through the Azure SDK's own URL building, exactly the blob it
/// names: inside its container, and for uploads inside <c>work/{id}/upload/</c>.
/// </summary>
public class RequestParserFuzzTests
{
    private const int Cases = 20_000;

    // Characters that make paths interesting: separators, dots, escapes, controls, spaces, non-ASCII.
    private static readonly Gen<string> Names = Gen.Char["ab-_./\\%?#:~ \t\u0001\u007féß😀"]
        .Array[0, 40]
        .Select(c => new string(c));

    private static readonly BlobServiceClient Service = new("UseDevelopmentStorage=true");

    /// <summary>The container and blob name the SDK's request URL addresses, read back from that URL.</summary>
    private static (string Container, string Name) Addressed(BlobRef blob)
    {
        var address = new BlobUriBuilder(Service.GetBlobContainerClient(blob.Container).GetBlobClient(blob.Name).Uri);
        return (address.BlobContainerName, address.BlobName);
    }

    [Fact]
    public void A_blob_name_from_a_request_is_refused_or_addresses_exactly_that_blob()
    {
        Gen.Select(
                Gen.OneOf(
                    Gen.Const("edit-requests"),
                    Gen.Const("work"),
                    Gen.Const("edit-results"),
                    Gen.Const("Work"),
                    Gen.Const("")
                ),
                Names
            )
            .Sample(
                (container, name) =>
                {
                    BlobRef parsed;
                    try
                    {
                        parsed = BlobRef.Parse($"{container}/{name}", "\"blob\"");
                    }
                    catch (InvalidInputException e)
                    {
                        Assert.StartsWith("\"blob\" ", e.Message);
                        return;
                    }
                    Assert.Equal((parsed.Container, parsed.Name), Addressed(parsed));
                },
                iter: Cases
            );
    }

    [Fact]
    public void An_upload_file_name_is_refused_or_stored_inside_the_requests_upload_folder()
    {
        Names.Sample(
            fileName =>
            {
                string name;
                try
                {
                    name = EditsApi.UploadName(fileName);
                }
                catch (InvalidInputException)
                {
                    return;
                }
                var upload = StorageLayout.Upload("0123abcd", name);
                var (container, blob) = Addressed(upload);
                Assert.Equal(StorageLayout.Work, container);
                Assert.StartsWith("0123abcd/upload/", blob);
                Assert.Equal(upload.Name, blob);
            },
            iter: Cases
        );
    }

    [Fact]
    public void Random_options_are_accepted_or_refused_as_the_request_s_fault_and_never_throw_anything_else()
    {
        var optionNames = Gen.OneOf(Gen.OneOf([.. EditRequestParser.Accepted.Keys.Select(Gen.Const)]), Names);
        var values = Gen.OneOf(
            Names,
            Gen.Const("cat2dog"),
            Gen.Const("r2d2:robot,cat:dog"),
            Gen.Int.Select(i => i.ToString()),
            Gen.Double.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.Const("NaN"),
            Gen.Const("1e40"),
            Gen.Const($"cat={new string('a', 64)}"),
            Gen.Const(new string('x', 5000))
        );
        Gen.Dictionary(optionNames, values)[0, 8]
            .Sample(
                options =>
                {
                    try
                    {
                        var settings = EditRequestParser.Parse(options);
                        Assert.InRange(settings.Tasks.Count, 1, EditRequestParser.MaxTasks);
                        settings.Method.Validate();
                    }
                    catch (Pix2PixZeroException e)
                    {
                        Assert.Equal(FailureKind.InvalidInput, e.Kind);
                        Assert.True(e.Message.Length < 600, e.Message);
                    }
                },
                iter: Cases
            );
    }
}
