using System.CommandLine;
using Pix2PixZero.Cli.Commands;

var root = new RootCommand("pix2pix-zero: zero-shot image-to-image translation with Stable Diffusion on ONNX Runtime")
{
    ModelsCommand.Create(),
};
foreach (var command in MethodCommands.Create())
    root.Subcommands.Add(command);
return await CommandLine.InvokeAsync(root, args);
