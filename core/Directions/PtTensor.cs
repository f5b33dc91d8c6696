namespace Pix2PixZero.Core.Directions;

/// <summary>
/// A tensor read from a .pt file, converted to float; <see cref="StorageDtype"/> is what the file held.
/// </summary>
public sealed record PtTensor(int[] Shape, float[] Values, string StorageDtype);
