namespace Pix2PixZero.Core.Imaging;

/// <summary>
/// An input image that cannot be used: empty, corrupt, not an image, an unsupported format or too large.
/// </summary>
public sealed class ImageRejectedException(string message, Exception? inner = null)
    : Pix2PixZeroException(FailureKind.InvalidInput, message, inner ?? new InvalidDataException(message));
