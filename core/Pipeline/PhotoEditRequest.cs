using Pix2PixZero.Core.Directions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// A photo to edit once per task (<see cref="Pix2PixZeroPipeline.EditPhoto"/>): the word means come from
/// <paramref name="Sentences"/> and are kept in <paramref name="Store"/>; <paramref name="Input"/> names the photo
/// in the records.
/// </summary>
public sealed record PhotoEditRequest(
    Image<Rgb24> Image,
    string Input,
    IReadOnlyList<EditTask> Tasks,
    MethodParameters Options,
    SentenceSource Sentences,
    DirectionStore Store
)
{
    /// <summary>The caption to invert with; BLIP's when null.</summary>
    public string? Caption { get; init; }

    /// <summary>
    /// The side of the square whose area the photo is processed at (its proportions kept); the model's own when null.
    /// </summary>
    public int? Size { get; init; }

    /// <summary>The option that gave <see cref="Size"/>, named in errors (<c>--size</c> on the command line).</summary>
    public string SizeOption { get; init; } = "size";

    /// <summary>Return the pictures resized to the photo's own pixel size instead of at the processing size.</summary>
    public bool ResizeToOriginal { get; init; }
}

/// <summary>One task's edited picture and its record.</summary>
public sealed record EditedPicture(EditTask Task, Image<Rgb24> Image, EditRecord Record);
