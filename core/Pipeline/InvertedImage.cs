using System.Text.Json;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// The result of inverting a photo: z_T and what produced it. Everything needed to run edits later (in another
/// process, from a blob) without repeating the inversion; the settings are kept for the output metadata.
/// </summary>
public sealed class InvertedImage
{
    private static ReadOnlySpan<byte> Magic => "P2PZINV1"u8;

    public InvertedImage(
        DenseTensor<float> latent,
        string caption,
        int steps,
        InversionConvention convention,
        ulong seed,
        string modelId
    )
    {
        Latent = latent;
        Caption = caption;
        Steps = steps;
        Convention = convention;
        Seed = seed;
        ModelId = modelId;
    }

    /// <summary>z_T, [1, c, h, w].</summary>
    public DenseTensor<float> Latent { get; }

    public string Caption { get; }

    public int Steps { get; }

    public InversionConvention Convention { get; }

    public ulong Seed { get; }

    /// <summary>The text encoder's id; edits must use the same model.</summary>
    public string ModelId { get; }

    public byte[] ToBytes()
    {
        var header = new Header(Latent.Dimensions.ToArray(), Caption, Steps, Convention.ToString(), Seed, ModelId);
        return TensorFile.Write(Magic, JsonSerializer.SerializeToUtf8Bytes(header), Latent.Buffer.Span);
    }

    public static InvertedImage FromBytes(byte[] bytes, string name = "inverted latent")
    {
        var (headerBytes, values) = TensorFile.Read(bytes, Magic, name);
        var header = JsonSerializer.Deserialize<Header>(headerBytes)
            ?? throw new InvalidDataException($"{name}: empty header");
        if (
            header.Shape.Aggregate(1L, (a, b) => a * b) != values.Length
            || !Enum.TryParse<InversionConvention>(header.Convention, out var convention)
        )
            throw new InvalidDataException(
                $"{name}: header does not match the data (shape {string.Join("×", header.Shape)}, "
                    + $"{values.Length} values, convention {header.Convention})"
            );
        return new InvertedImage(
            new DenseTensor<float>(values, header.Shape),
            header.Caption,
            header.Steps,
            convention,
            header.Seed,
            header.ModelId
        );
    }

    private sealed record Header(int[] Shape, string Caption, int Steps, string Convention, ulong Seed, string ModelId);
}
