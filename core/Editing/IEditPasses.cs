namespace Pix2PixZero.Core.Editing;

/// <summary>
/// The graph runs of one lockstep step (DESIGN.md §1.2 steps 5–6) for the editor's arithmetic, which stays in C#:
/// the reference pass's noise and maps, each edit's guidance, each edit's noise. What they return is latent-sized; the
/// maps stay wherever the runs keep them until the next step's <see cref="Reference"/>.
/// </summary>
internal interface IEditPasses : IDisposable
{
    /// <summary>[ε_u, ε_c] at [x, x] with [c_neg, c]; the step's cross-attention maps are kept for guidance.</summary>
    ReadOnlySpan<float> Reference(ReadOnlySpan<float> latent, int timestep);

    /// <summary>
    /// Edit <paramref name="edit"/>'s cross-attention loss at [x, x] with [c_neg, c_edit] against the kept maps; its
    /// gradient with respect to [x, x] is written to <paramref name="gradient"/>.
    /// </summary>
    float Guide(int edit, ReadOnlySpan<float> latent, int timestep, Span<float> gradient);

    /// <summary>[ε_u, ε_c] at the guided pair with [c_neg, c_edit].</summary>
    ReadOnlySpan<float> Noise(int edit, ReadOnlySpan<float> guided, int timestep);
}
