using Microsoft.ML.OnnxRuntime;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// One input of one run of an <see cref="OnnxModel"/>: the graph input's name and the value handed to ONNX Runtime,
/// which may pin caller memory and so is disposed by the run that consumes it.
/// </summary>
public readonly record struct ModelInput(string Name, OrtValue Value);
