"""torch module -> checked ONNX model (opset 14, fp32, eval mode): the one exporter behind export_captioner.py and the
test fixture generator (tests/fixtures/tinysd/export.py imports it from here)."""
import io

import onnx
import torch

OPSET = 14


def to_onnx(module, args, input_names, output_names, dynamic_axes=None, output_shapes=None):
    """Trace `module` and return the ModelProto (constant folding on; RandomNormalLike is input-dependent, so kept).

    `output_shapes` overrides the declared output dims (int = fixed, str = symbolic) where the exporter's
    shape inference invents names such as "Addlatent_sample_dim_0" or loses static sizes.
    """
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, args, buffer, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    model = onnx.load_from_string(buffer.getvalue())
    for output in model.graph.output:
        for dim, value in zip(output.type.tensor_type.shape.dim, (output_shapes or {}).get(output.name, [])):
            dim.Clear()
            if isinstance(value, int):
                dim.dim_value = value
            else:
                dim.dim_param = value
    onnx.checker.check_model(model)
    return model
