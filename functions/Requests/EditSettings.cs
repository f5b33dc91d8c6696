using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Functions.Requests;

/// <summary>A request's validated choices: the tasks, the caption when given, the method's options and how to run.</summary>
public sealed record EditSettings(
    IReadOnlyList<string> Tasks,
    string? Caption,
    EditOptions Method,
    int Sentences,
    EditMode Mode);
