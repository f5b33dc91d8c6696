using System.Diagnostics;
using CsCheck;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Tests.Imaging;

/// <summary>
/// Property tests (CsCheck, seeded and shrinking) over what users hand the program: thousands of mutated PNG, JPEG
/// and WebP files meet only <see cref="ImageRejectedException"/> or decode, each within a time bound; random task
/// texts meet only <see cref="InvalidInputException"/> or parse to a task whose name parses back to it.
/// </summary>
public class ImageDecoderFuzzTests
{
    private const int Files = 5000;

    // A hang never ends; a decode of these small files takes milliseconds, but the first to reach a decoder path pays
    // for compiling it, and some mutated WebP files (VP8X with alpha and EXIF flags over garbage, ~200 bytes, 24×16)
    // take seconds to decode even when warm, and several times longer while the other test projects load both cores.
    // The bound tells all of that from a hang.
    private static readonly TimeSpan PerFile = TimeSpan.FromSeconds(60);

    // The default limits admit 40-megapixel pictures, whose honest decode takes seconds, and a mutated header asks for
    // one often (a 230-byte WebP claiming 16384×2400 did): with limits of one megapixel the run looks for hangs and
    // wrong exceptions instead of timing large decodes. The limits are a parameter like any other input.
    private static readonly ImageLimits Limits = new() { MaxPixels = 1_000_000, MaxSide = 4096 };
    private static readonly TimeSpan Whole = TimeSpan.FromSeconds(300);

    private static readonly byte[][] Seeds =
    [
        .. new IImageEncoder[]
        {
            new PngEncoder(),
            new PngEncoder { ColorType = PngColorType.Palette },
            new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.RgbWithAlpha },
            new JpegEncoder { Quality = 80 },
            new JpegEncoder { Quality = 90, ColorType = JpegColorType.Luminance },
            new WebpEncoder { FileFormat = WebpFileFormatType.Lossy },
            new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        }.Select(Encode),
    ];

    /// <summary>
    /// A seed file with some of these edits: flip bits, overwrite bytes, cut the end, insert bytes, repeat a slice.
    /// </summary>
    private static readonly Gen<byte[]> MutatedFiles = Gen.Select(
        Gen.Int[0, Seeds.Length - 1],
        Gen.Int[0, int.MaxValue].Array[1, 6],
        Gen.Byte.Array[1, 24],
        (seed, edits, bytes) => Mutate(Seeds[seed], edits, bytes)
    );

    [Fact]
    public async Task Mutated_png_jpeg_and_webp_files_decode_or_are_rejected_never_anything_else_and_never_hang()
    {
        foreach (var seed in Seeds)
            ImageCodec.Load(seed, "seed", Limits).Dispose();
        var run = Task.Run(() =>
            MutatedFiles.Sample(
                file =>
                {
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        ImageCodec.ReadHeader(file, "fuzzed", Limits);
                        using var image = ImageCodec.Load(file, "fuzzed", Limits);
                        Assert.True(image.Width > 0 && image.Height > 0);
                    }
                    catch (ImageRejectedException e)
                    {
                        Assert.StartsWith("fuzzed ", e.Message);
                    }
                    var elapsed = clock.Elapsed;
                    Assert.True(elapsed < PerFile, $"a {file.Length}-byte file took {elapsed.TotalSeconds:F1} s");
                },
                iter: Files,
                threads: 1
            )
        );

        await run.WaitAsync(Whole);
    }

    [Fact]
    public void The_start_of_a_mutated_file_gives_a_header_nothing_or_a_rejection()
    {
        Gen.Select(MutatedFiles, Gen.Int[1, 400])
            .Sample(
                (file, length) =>
                {
                    var start = file[..Math.Min(length, file.Length)];
                    try
                    {
                        if (ImageCodec.ReadHeader(start, "fuzzed", Limits, file.Length) is { } header)
                            Assert.True(header.Width > 0 && header.Height > 0);
                    }
                    catch (ImageRejectedException) { }
                },
                iter: Files,
                threads: 1
            );
    }

    [Fact]
    public void Random_task_texts_are_refused_as_bad_input_or_parse_to_a_task_named_one_way()
    {
        var text = Gen.Char["ab2:- '\tÉ😀/.\\\0"].Array[0, 60].Select(c => new string(c));
        text.Sample(
            task =>
            {
                EditTask parsed;
                try
                {
                    parsed = EditTask.Parse(task);
                }
                catch (InvalidInputException e)
                {
                    Assert.True(e.Message.Length < 300, e.Message);
                    return;
                }
                Assert.Equal(parsed, EditTask.Parse(parsed.Name));
            },
            iter: 20_000
        );
    }

    private static byte[] Encode(IImageEncoder encoder)
    {
        using var image = new Image<Rgba32>(24, 16);
        image.Metadata.ExifProfile = new SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifProfile();
        image.Metadata.ExifProfile.SetValue(SixLabors.ImageSharp.Metadata.Profiles.Exif.ExifTag.Orientation, (ushort)6);
        for (var y = 0; y < image.Height; y++)
        for (var x = 0; x < image.Width; x++)
            image[x, y] = new Rgba32((byte)(x * 10), (byte)(y * 15), (byte)(x * y), (byte)(255 - x));
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static byte[] Mutate(byte[] seed, int[] edits, byte[] bytes)
    {
        var file = new List<byte>(seed);
        foreach (var edit in edits)
        {
            if (file.Count == 0)
                break;
            var at = (edit >> 3) % file.Count;
            switch (edit & 7)
            {
                case 0:
                case 1:
                    file[at] ^= (byte)(1 << (edit >> 8 & 7));
                    break;
                case 2:
                    for (var i = 0; i < bytes.Length && at + i < file.Count; i++)
                        file[at + i] = bytes[i];
                    break;
                case 3:
                    file.RemoveRange(at, file.Count - at);
                    break;
                case 4:
                    file.InsertRange(at, bytes);
                    break;
                case 5:
                    file.InsertRange(at, file.GetRange(at, Math.Min(bytes.Length * 8, file.Count - at)));
                    break;
                // A header field set to its extremes: sizes, lengths and counts at 0 or 0xFF.
                default:
                    for (var i = 0; i < 4 && at + i < file.Count; i++)
                        file[at + i] = (byte)((edit & 8) == 0 ? 0xFF : 0x00);
                    break;
            }
        }
        return [.. file];
    }
}
