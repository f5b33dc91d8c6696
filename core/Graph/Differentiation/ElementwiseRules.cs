namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// Elementwise ops. Binary ops broadcast (numpy rules), so each operand's gradient is summed back to its shape.
/// </summary>
internal static class ElementwiseRules
{
    public static void Identity(GradientContext c) => c.Pass(0, c.G);

    public static void Cast(GradientContext c)
    {
        if (c.IsFloating(c.Output(0)))
            c.Pass(0, c.G);
    }

    public static void Add(GradientContext c)
    {
        To(c, 0, () => c.G);
        To(c, 1, () => c.G);
    }

    public static void Sum(GradientContext c)
    {
        for (var i = 0; i < c.Node.Input.Count; i++)
            To(c, i, () => c.G);
    }

    public static void Sub(GradientContext c)
    {
        To(c, 0, () => c.G);
        To(c, 1, () => c.Emit.Neg(c.G));
    }

    public static void Mul(GradientContext c)
    {
        To(c, 0, () => c.Emit.Mul(c.G, c.F(c.Input(1))));
        To(c, 1, () => c.Emit.Mul(c.G, c.F(c.Input(0))));
    }

    public static void Div(GradientContext c)
    {
        To(c, 0, () => c.Emit.Div(c.G, c.F(c.Input(1))));
        To(c, 1, () => c.Emit.Neg(c.Emit.Div(c.Emit.Mul(c.G, c.F(c.Output(0))), c.F(c.Input(1)))));
    }

    public static void Pow(GradientContext c)
    {
        To(c, 0, () => c.Emit.Mul(c.G, PowDerivative(c, c.Input(0), c.Input(1))));
        To(c, 1, () => c.Emit.Mul(c.G, c.Emit.Mul(c.F(c.Output(0)), c.Emit.Node("Log", [c.F(c.Input(0))]))));
    }

    public static void Where(GradientContext c)
    {
        var zero = c.Const(0);
        To(c, 1, () => c.Emit.Node("Where", [c.Input(0), c.G, zero]));
        To(c, 2, () => c.Emit.Node("Where", [c.Input(0), zero, c.G]));
    }

    /// <summary>Contributes an operand's gradient, summed back over the axes it was broadcast along.</summary>
    private static void To(GradientContext c, int input, Func<string> grad)
    {
        if (c.Needs(input))
            c.Contribute(c.Input(input), c.Unbroadcast(grad(), c.Shapes[c.Output(0)], c.Input(input)));
    }

    /// <summary>
    /// d(a^b)/da = b·a^(b−1); a constant exponent (x² in decomposed LayerNorm) folds to a cheaper form.
    /// </summary>
    private static string PowDerivative(GradientContext c, string a, string b)
    {
        if (c.Graph.TryGetConstantFloats(b, out var p) && p.Length == 1)
        {
            if (p[0] == 2)
                return c.Emit.Mul(c.F(a), c.Const(2));
            if (p[0] == 1)
                return c.Emit.Expand(c.Const(1), c.ShapeOf(a));
            return c.Emit.Mul(c.Const(p[0]), c.Emit.Node("Pow", [c.F(a), c.Const(p[0] - 1)]));
        }
        var bf = c.F(b);
        return c.Emit.Mul(bf, c.Emit.Node("Pow", [c.F(a), c.Emit.Sub(bf, c.Const(1))]));
    }

    public static void Neg(GradientContext c) => c.Pass(0, c.Emit.Neg(c.G));

    public static void Sqrt(GradientContext c) => c.Pass(0, c.Emit.Div(c.G, c.Emit.Mul(c.F(c.Output(0)), c.Const(2))));

    public static void Reciprocal(GradientContext c)
    {
        var y = c.F(c.Output(0));
        c.Pass(0, c.Emit.Neg(c.Emit.Mul(c.G, c.Emit.Mul(y, y))));
    }

    public static void Exp(GradientContext c) => c.Pass(0, c.Emit.Mul(c.G, c.F(c.Output(0))));

    public static void Log(GradientContext c) => c.Pass(0, c.Emit.Div(c.G, c.F(c.Input(0))));

    public static void Sigmoid(GradientContext c)
    {
        var y = c.F(c.Output(0));
        c.Pass(0, c.Emit.Mul(c.G, c.Emit.Mul(y, c.Emit.Sub(c.Const(1), y))));
    }

    public static void Tanh(GradientContext c)
    {
        var y = c.F(c.Output(0));
        c.Pass(0, c.Emit.Mul(c.G, c.Emit.Sub(c.Const(1), c.Emit.Mul(y, y))));
    }

    /// <summary>d erf(x)/dx = 2/√π · exp(−x²).</summary>
    public static void Erf(GradientContext c)
    {
        var x = c.F(c.Input(0));
        c.Pass(
            0,
            c.Emit.Mul(
                c.G,
                c.Emit.Mul(c.Const(2 / Math.Sqrt(Math.PI)), c.Emit.Node("Exp", [c.Emit.Neg(c.Emit.Mul(x, x))]))
            )
        );
    }

    public static void Relu(GradientContext c) =>
        c.Pass(0, c.Emit.Node("Where", [c.Emit.Node("Greater", [c.F(c.Input(0)), c.Const(0)]), c.G, c.Const(0)]));
}
