using Pix2PixZero.Core.Serialization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pix2PixZero.Core.Imaging;

/// <summary>
/// Reads user images the way the method expects them (DESIGN.md §1.2 step 1): PNG/JPEG/WebP only, EXIF
/// orientation applied, alpha flattened onto white, resized to the processing size with Lanczos; writes PNG.
/// </summary>
public static class ImageCodec
{
    public const string SupportedFormats = "PNG, JPEG or WebP";

    private static readonly Configuration Formats = new(
        new PngConfigurationModule(),
        new JpegConfigurationModule(),
        new WebpConfigurationModule()
    );

    /// <summary>Decodes and normalises an image; <paramref name="name"/> only labels errors.</summary>
    public static Image<Rgb24> Load(byte[] bytes, string name, ImageLimits? limits = null)
    {
        var header = ReadHeader(bytes, name, limits)!;
        Image<Rgba32> decoded;
        try
        {
            decoded = Image.Load<Rgba32>(Formats, bytes);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            throw new ImageRejectedException($"{name} is a corrupt {header.Format} image: {e.Message}", e);
        }

        using (decoded)
        {
            try
            {
                // EXIF is parsed here, on first use: a corrupt block fails now, not while decoding.
                decoded.Mutate(x => x.AutoOrient());
            }
            catch (Exception e) when (IsDecoderFailure(e))
            {
                throw new ImageRejectedException(
                    $"{name} has a corrupt EXIF block, so its orientation is unknown "
                        + $"({e.Message}); save the image again without its metadata",
                    e
                );
            }
            return FlattenOntoWhite(decoded);
        }
    }

    public static Image<Rgb24> Load(string path, ImageLimits? limits = null) =>
        Load(ReadFile(path, limits), path, limits);

    /// <summary>
    /// The bytes of an image file: a regular file (symbolic links followed), checked before it is opened, since
    /// opening a FIFO waits for a writer and a device reports no length; read up to the limit whatever length it
    /// reports.
    /// </summary>
    public static byte[] ReadFile(string path, ImageLimits? limits = null)
    {
        switch (FileTypes.Of(path))
        {
            case FileType.Missing:
                throw new ImageRejectedException(
                    $"image file {path} " + (FileTarget.DanglingLink(path) ?? "does not exist")
                );
            case FileType.Directory:
                throw new ImageRejectedException($"{path} is a folder; name an image file ({SupportedFormats})");
            case var other and not FileType.Regular:
                throw new ImageRejectedException(
                    $"{path} is {FileTypes.Describe(other)}, not an image file; save the photo to a file, "
                        + "or pipe it into standard input and name the image -"
                );
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return ReadBounded(stream, path, limits);
    }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end, refusing it as soon as it passes the byte limit: a pipe has no
    /// length, and a file's reported length can be wrong (a device, a file that grows while it is read).
    /// </summary>
    public static byte[] ReadBounded(Stream stream, string name, ImageLimits? limits = null)
    {
        var max = (limits ?? ImageLimits.Default).MaxBytes;
        using var content = new MemoryStream();
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, max + 1 - content.Length))) > 0)
        {
            content.Write(buffer, 0, read);
            if (content.Length > max)
                throw new ImageRejectedException($"{name} is more than {max:N0} bytes; the limit is {max:N0} bytes");
        }
        return content.ToArray();
    }

    /// <summary>
    /// Checks what can be known without decoding pixels: the size in bytes, the format, the dimensions against the
    /// limits and, for a whole file, that its end is there. <paramref name="length"/> is the file's full length when
    /// <paramref name="bytes"/> is only its start (a ranged read): then a header that runs past the start cannot be
    /// judged and the result is null; a start that is no image at all is still refused.
    /// </summary>
    public static ImageHeader? ReadHeader(byte[] bytes, string name, ImageLimits? limits = null, long? length = null)
    {
        limits ??= ImageLimits.Default;
        var total = length ?? bytes.Length;
        var whole = total == bytes.Length;
        if (total == 0)
            throw new ImageRejectedException($"{name} is empty (0 bytes); upload a {SupportedFormats} image");
        if (total > limits.MaxBytes)
            throw new ImageRejectedException($"{name} is {total:N0} bytes; the limit is {limits.MaxBytes:N0} bytes");

        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(Formats, bytes, out format);
        }
        catch (Exception e) when (IsDecoderFailure(e))
        {
            if (!whole && Image.DetectFormat(Formats, bytes) is not null)
                return null;
            throw new ImageRejectedException($"{name} could not be read as an image: {e.Message}", e);
        }
        if (info is null || format is null)
        {
            if (!whole && Image.DetectFormat(Formats, bytes) is not null)
                return null;
            throw new ImageRejectedException(
                $"{name} is not a {SupportedFormats} image (unrecognised content, starts with {Signature(bytes)})"
            );
        }
        CheckSize(name, info.Width, info.Height, limits);
        if (whole && !IsComplete(bytes, format))
            throw new ImageRejectedException(
                $"{name} is a truncated {format.Name} file ({bytes.Length:N0} "
                    + "bytes, the end of the image is missing); upload it again"
            );
        return new ImageHeader(format.Name, info.Width, info.Height);
    }

    /// <summary>
    /// A copy at <paramref name="size"/> with the Lanczos-3 kernel, as the public code resizes; a stretch where the
    /// proportions differ (by at most what <see cref="ProcessingSize"/>'s rounding leaves).
    /// </summary>
    public static Image<Rgb24> Resize(Image<Rgb24> image, PixelSize size)
    {
        var copy = image.Clone();
        if (image.Width != size.Width || image.Height != size.Height)
            copy.Mutate(x =>
                x.Resize(
                    new ResizeOptions
                    {
                        Size = new Size(size.Width, size.Height),
                        Sampler = KnownResamplers.Lanczos3,
                        Mode = ResizeMode.Stretch,
                    }
                )
            );
        return copy;
    }

    public static PixelSize SizeOf(Image image) => new(image.Width, image.Height);

    public static byte[] EncodePng(Image<Rgb24> image)
    {
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    // Besides its own exception types, the decoders fail on some corrupt files with IndexOutOfRange, NullReference and
    // the like (found by fuzzing the WebP decoder): whatever a decoder throws for a file means the file cannot be used.
    private static bool IsDecoderFailure(Exception e) => e is not (OutOfMemoryException or OperationCanceledException);

    private static void CheckSize(string name, int width, int height, ImageLimits limits)
    {
        if (width <= 0 || height <= 0)
            throw new ImageRejectedException($"{name} has no pixels ({width}×{height})");
        if (width > limits.MaxSide || height > limits.MaxSide || (long)width * height > limits.MaxPixels)
            throw new ImageRejectedException(
                $"{name} is {width}×{height} pixels; the limit is {limits.MaxPixels:N0} "
                    + $"pixels and {limits.MaxSide} per side. Downscale it first."
            );
    }

    // The decoder fills missing rows of a cut-off file with black instead of failing, so the end is checked here.
    private static bool IsComplete(byte[] bytes, IImageFormat format)
    {
        var span = bytes.AsSpan();
        return format.Name switch
        {
            "PNG" => span.LastIndexOf("IEND"u8) > 8,
            // EOI (FF D9) can only appear as a marker after the last start-of-scan (FF DA): scan data escapes FF.
            "JPEG" => span.LastIndexOf(new byte[] { 0xFF, 0xD9 }) > span.LastIndexOf(new byte[] { 0xFF, 0xDA }),
            "Webp" => bytes.Length >= 12 && bytes.Length >= 8 + (long)BitConverter.ToUInt32(bytes, 4),
            _ => true,
        };
    }

    private static Image<Rgb24> FlattenOntoWhite(Image<Rgba32> source)
    {
        var result = new Image<Rgb24>(source.Width, source.Height);
        source.ProcessPixelRows(result, (from, to) =>
        {
            for (var y = 0; y < from.Height; y++)
            {
                var src = from.GetRowSpan(y);
                var dst = to.GetRowSpan(y);
                for (var x = 0; x < src.Length; x++)
                {
                    var p = src[x];
                    var a = p.A / 255f;
                    dst[x] = new Rgb24(Blend(p.R, a), Blend(p.G, a), Blend(p.B, a));
                }
            }
        });
        return result;
    }

    private static byte Blend(byte channel, float alpha) => (byte)MathF.Round(channel * alpha + 255f * (1f - alpha));

    private static string Signature(byte[] bytes) => Convert.ToHexString(bytes.AsSpan(0, Math.Min(8, bytes.Length)));
}
