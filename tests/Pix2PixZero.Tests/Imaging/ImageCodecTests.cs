using System.Buffers.Binary;
using Pix2PixZero.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Tests.Imaging;

public class ImageCodecTests
{
    [Fact]
    public void A_real_photo_loads_as_512_square_rgb()
    {
        using var image = ImageCodec.Load(RepoPaths.Image("cat_1.png"));
        Assert.Equal(512, image.Width);
        Assert.Equal(512, image.Height);
    }

    [Fact]
    public void Exif_orientation_is_applied_before_use()
    {
        // A 40×20 image whose left half is red, tagged "rotate 90° clockwise" (orientation 6).
        using var source = new Image<Rgb24>(40, 20, new Rgb24(0, 0, 255));
        for (var y = 0; y < 20; y++)
        for (var x = 0; x < 20; x++)
            source[x, y] = new Rgb24(255, 0, 0);
        source.Metadata.ExifProfile = new ExifProfile();
        source.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        using var stream = new MemoryStream();
        source.Save(stream, new JpegEncoder { Quality = 100 });

        using var loaded = ImageCodec.Load(stream.ToArray(), "rotated.jpg");
        Assert.Equal(20, loaded.Width);
        Assert.Equal(40, loaded.Height);
        Assert.True(loaded[10, 5].R > 200, "after rotating 90° clockwise the red half is on top");
        Assert.True(loaded[10, 35].B > 200, "and the blue half at the bottom");
    }

    [Fact]
    public void Transparency_is_flattened_onto_white()
    {
        using var source = new Image<Rgba32>(2, 1);
        source[0, 0] = new Rgba32(0, 0, 0, 0);
        source[1, 0] = new Rgba32(255, 0, 0, 128);
        using var loaded = ImageCodec.Load(Encode(source, new PngEncoder()), "alpha.png");
        Assert.Equal(new Rgb24(255, 255, 255), loaded[0, 0]);
        Assert.Equal(new Rgb24(255, 127, 127), loaded[1, 0]);
    }

    [Fact]
    public void Webp_images_are_accepted()
    {
        using var source = new Image<Rgba32>(8, 6, new Rgba32(10, 200, 30, 255));
        using var loaded = ImageCodec.Load(
            Encode(source, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }),
            "photo.webp"
        );
        Assert.Equal(8, loaded.Width);
        Assert.Equal(new Rgb24(10, 200, 30), loaded[3, 3]);
    }

    [Fact]
    public void An_empty_upload_is_refused_by_name()
    {
        var e = Assert.Throws<ImageRejectedException>(() => ImageCodec.Load([], "upload.png"));
        Assert.Contains("upload.png is empty", e.Message);
    }

    [Fact]
    public void Text_is_refused_as_not_an_image()
    {
        var e = Assert.Throws<ImageRejectedException>(() =>
            ImageCodec.Load("hello, I am not a picture"u8.ToArray(), "notes.txt")
        );
        Assert.Contains("not a PNG, JPEG or WebP image", e.Message);
    }

    [Fact]
    public void Unsupported_formats_are_refused_with_the_accepted_list()
    {
        using var source = new Image<Rgba32>(4, 4);
        var e = Assert.Throws<ImageRejectedException>(() =>
            ImageCodec.Load(Encode(source, new GifEncoder()), "anim.gif")
        );
        Assert.Contains("PNG, JPEG or WebP", e.Message);
    }

    [Fact]
    public void A_truncated_png_is_refused_as_corrupt()
    {
        var png = File.ReadAllBytes(RepoPaths.Image("dog_1.png"));
        var e = Assert.Throws<ImageRejectedException>(() => ImageCodec.Load(png[..(png.Length / 3)], "dog.png"));
        Assert.Contains("dog.png", e.Message);
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("webp")]
    public void Truncated_jpeg_and_webp_files_are_refused(string format)
    {
        using var photo = ImageCodec.Load(RepoPaths.Image("cat_1.png"));
        var bytes =
            format == "jpeg" ? Encode(photo, new JpegEncoder { Quality = 90 }) : Encode(photo, new WebpEncoder());
        Assert.NotNull(ImageCodec.Load(bytes, "whole." + format));
        var e = Assert.Throws<ImageRejectedException>(() =>
            ImageCodec.Load(bytes[..(bytes.Length * 2 / 3)], "cut." + format)
        );
        Assert.Contains("cut." + format, e.Message);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_from_its_header_without_decoding()
    {
        var bomb = PngHeaderOnly(100_000, 100_000);
        var e = Assert.Throws<ImageRejectedException>(() => ImageCodec.Load(bomb, "bomb.png"));
        Assert.Contains("100000×100000", e.Message);
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void Oversized_files_are_refused_before_reading_them()
    {
        var e = Assert.Throws<ImageRejectedException>(() =>
            ImageCodec.Load(new byte[2048], "big.png", new ImageLimits { MaxBytes = 1024 })
        );
        Assert.Contains("2,048 bytes", e.Message);
    }

    [Fact]
    public void Resizing_uses_the_requested_size_and_tensors_round_trip_exactly()
    {
        using var photo = ImageCodec.Load(RepoPaths.Image("cat_2.png"));
        using var small = ImageCodec.Resize(photo, new PixelSize(128, 128));
        Assert.Equal((128, 128), (small.Width, small.Height));

        var tensor = ImageTensor.ToModelInput(small);
        Assert.Equal(new[] { 1, 3, 128, 128 }, tensor.Dimensions.ToArray());
        Assert.InRange(tensor.Buffer.Span.ToArray().Min(), -1f, 1f);
        Assert.InRange(tensor.Buffer.Span.ToArray().Max(), -1f, 1f);
        using var back = ImageTensor.FromModelOutput(tensor.Buffer.Span, 128, 128);
        for (var y = 0; y < 128; y += 7)
        for (var x = 0; x < 128; x += 5)
            Assert.Equal(small[x, y], back[x, y]);
    }

    [Fact]
    public void Decoder_output_is_clamped_into_pixel_range()
    {
        float[] chw = [-3f, 3f, 0f];
        using var image = ImageTensor.FromModelOutput(chw, 1, 1);
        Assert.Equal(new Rgb24(0, 255, 128), image[0, 0]);
    }

    [Fact]
    public void Png_output_decodes_back_to_the_same_pixels()
    {
        using var photo = ImageCodec.Load(RepoPaths.Image("cat_3.png"));
        using var again = ImageCodec.Load(ImageCodec.EncodePng(photo), "again.png");
        Assert.Equal(photo[100, 200], again[100, 200]);
    }

    private static byte[] Encode<TPixel>(Image<TPixel> image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    // A PNG signature and an IHDR chunk claiming width×height, with no image data after it.
    private static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[17];
        "IHDR"u8.CopyTo(ihdr);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(8), height);
        ihdr[12] = 8; // bit depth
        ihdr[13] = 2; // truecolour
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(ihdr));
        byte[] length = [0, 0, 0, 13];
        return [.. new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }, .. length, .. ihdr, .. crc];
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
