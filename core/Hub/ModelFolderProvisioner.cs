using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pix2PixZero.Core.Bundles;

namespace Pix2PixZero.Core.Hub;

/// <summary>The bundle folder a server will load, and the pull that filled it on this start (if one did).</summary>
public sealed record ProvisionedModel(string Directory, PullResult? Pull);

/// <summary>
/// Makes sure the configured model folder holds a bundle before a server loads it: a folder that validates is used
/// as it is, without touching the network; otherwise the model named by <see cref="ModelProvisioningOptions.Pull"/>
/// is pulled into it (waiting for another instance that is already pulling); with no model named, it fails with the
/// folder's problems and the option to set (as the host names it).
/// </summary>
public sealed class ModelFolderProvisioner(ModelProvisioningOptions options, ILogger? log = null)
{
    private readonly ILogger _log = log ?? NullLogger.Instance;

    public async Task<ProvisionedModel> EnsureAsync(
        IProgress<PullProgress>? progress = null,
        CancellationToken cancellationToken = default
    )
    {
        options.Validate();
        var directory = Path.GetFullPath(options.ModelDirectory);
        var problems = ModelBundleValidator.Validate(directory);
        if (problems.Count == 0)
        {
            _log.LogInformation("Model folder {Directory} holds a bundle", directory);
            return new ProvisionedModel(directory, Pull: null);
        }
        if (options.PullModel is not { } model)
            throw new ModelBundleException(
                directory,
                $"the model folder is not usable ({problems[0].Message}"
                    + $"{(problems.Count > 1 ? $", and {problems.Count - 1} more problems" : "")}) "
                    + $"and {options.Names.Pull} is not set: put a bundle "
                    + "there (pix2pix-zero models pull sd14 --dir <folder>) "
                    + $"or set {options.Names.Pull} (e.g. sd14) to pull it on start."
            );
        _log.LogInformation(
            "Model folder {Directory} holds no bundle ({Problem}); pulling {Model}",
            directory,
            problems[0].Message,
            model
        );
        var pull = await new ModelPuller(options.Hub, _log).PullAsync(model, directory, progress, cancellationToken);
        return new ProvisionedModel(pull.Directory, pull);
    }
}
