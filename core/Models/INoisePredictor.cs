using Microsoft.ML.OnnxRuntime.Tensors;

namespace Pix2PixZero.Core.Models;

/// <summary>ε_θ(x_t, t, c): a UNet's noise prediction, whichever compiled graph serves it.</summary>
public interface INoisePredictor
{
    DenseTensor<float> PredictNoise(DenseTensor<float> sample, float timestep, DenseTensor<float> encoderHiddenStates);
}
