namespace Pix2PixZero.Core.Graph;

// Elementwise rules. Binary ops broadcast (numpy rules), so each operand's gradient is summed back to its shape.
public sealed partial class ReverseModeDifferentiator
{
    private void Broadcasting(string g)
    {
        var y = _node.Output[0];
        var outShape = _shapes[y];
        void To(int input, Func<string> grad)
        {
            if (Needs(input)) Contribute(_node.Input[input], Unbroadcast(grad(), outShape, _node.Input[input]));
        }

        var a = _node.Input[0];
        var b = _node.Input.Count > 1 ? _node.Input[1] : "";
        switch (_node.OpType)
        {
            case "Add":
                To(0, () => g);
                To(1, () => g);
                break;
            case "Sum":
                for (var i = 0; i < _node.Input.Count; i++) To(i, () => g);
                break;
            case "Sub":
                To(0, () => g);
                To(1, () => _e.Neg(g));
                break;
            case "Mul":
                To(0, () => _e.Mul(g, F(b)));
                To(1, () => _e.Mul(g, F(a)));
                break;
            case "Div":
                To(0, () => _e.Div(g, F(b)));
                To(1, () => _e.Neg(_e.Div(_e.Mul(g, F(y)), F(b))));
                break;
            case "Pow":
                To(0, () => _e.Mul(g, PowDerivative(a, b)));
                To(1, () => _e.Mul(g, _e.Mul(F(y), _e.Node("Log", [F(a)]))));
                break;
            case "Where":
                var zero = Const(0);
                To(1, () => _e.Node("Where", [_node.Input[0], g, zero]));
                To(2, () => _e.Node("Where", [_node.Input[0], zero, g]));
                break;
        }
    }

    /// <summary>d(a^b)/da = b·a^(b−1); a constant exponent (x² in decomposed LayerNorm) folds to a cheaper form.</summary>
    private string PowDerivative(string a, string b)
    {
        if (_graph.TryGetConstantFloats(b, out var p) && p.Length == 1)
        {
            if (p[0] == 2) return _e.Mul(F(a), Const(2));
            if (p[0] == 1) return _e.Expand(Const(1), ShapeOf(a));
            return _e.Mul(Const(p[0]), _e.Node("Pow", [F(a), Const(p[0] - 1)]));
        }
        var bf = F(b);
        return _e.Mul(bf, _e.Node("Pow", [F(a), _e.Sub(bf, Const(1))]));
    }

    private void Unary(string g)
    {
        var x = _node.Input[0];
        var y = _node.Output[0];
        var grad = _node.OpType switch
        {
            "Neg" => _e.Neg(g),
            "Sqrt" => _e.Div(g, _e.Mul(F(y), Const(2))),
            "Reciprocal" => _e.Neg(_e.Mul(g, _e.Mul(F(y), F(y)))),
            "Exp" => _e.Mul(g, F(y)),
            "Log" => _e.Div(g, F(x)),
            "Sigmoid" => _e.Mul(g, _e.Mul(F(y), _e.Sub(Const(1), F(y)))),
            "Tanh" => _e.Mul(g, _e.Sub(Const(1), _e.Mul(F(y), F(y)))),
            // d erf(x)/dx = 2/√π · exp(−x²)
            "Erf" => _e.Mul(g, _e.Mul(Const(2 / Math.Sqrt(Math.PI)), _e.Node("Exp", [_e.Neg(_e.Mul(F(x), F(x)))]))),
            "Relu" => _e.Node("Where", [_e.Node("Greater", [F(x), Const(0)]), g, Const(0)]),
            _ => throw Unsupported(),
        };
        Pass(0, grad);
    }
}
