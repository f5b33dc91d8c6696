using Microsoft.Extensions.Configuration;
using Pix2PixZero.Core.Hub;

namespace Pix2PixZero.Functions.Hosting;

/// <summary>
/// The app settings that say where the model bundle is and whether to pull one there on first start (section
/// <c>Pix2PixZero</c>, e.g. <c>Pix2PixZero__ModelDirectory</c>), as bound from configuration; core's
/// <see cref="ModelProvisioningOptions"/> is made from them by <see cref="ToProvisioning"/>, which validates them.
/// </summary>
public sealed class ModelSettings
{
    /// <summary>
    /// The hub's own variables, read when <see cref="HubEndpoint"/> or <see cref="HubToken"/> is not set.
    /// </summary>
    public const string HubEndpointFallback = "HF_ENDPOINT";
    public const string HubTokenFallback = "HF_TOKEN";

    /// <summary>How errors name the settings core validates.</summary>
    public static readonly ModelProvisioningOptions.OptionNames Names = new(
        AppSettings.SettingName(nameof(ModelDirectory)),
        AppSettings.SettingName(nameof(ModelPull))
    );

    /// <summary>The diffusers ONNX model folder (infra mounts the model share and sets this).</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>
    /// The model to pull into an empty folder (sd14, sd15 or owner/repo[@revision]); empty: never pull.
    /// </summary>
    public string? ModelPull { get; set; }

    public string? HubEndpoint { get; set; }

    public string? HubToken { get; set; }

    /// <summary>
    /// Fills the hub endpoint and token that are not set from <c>HF_ENDPOINT</c> and <c>HF_TOKEN</c>.
    /// </summary>
    public void UseHubFallbacks(IConfiguration configuration)
    {
        HubEndpoint = Value(HubEndpoint) ?? Value(configuration[HubEndpointFallback]);
        HubToken = Value(HubToken) ?? Value(configuration[HubTokenFallback]);
    }

    /// <summary>The validated options of core's provisioner; errors name the app setting.</summary>
    public ModelProvisioningOptions ToProvisioning() =>
        new ModelProvisioningOptions
        {
            ModelDirectory = Value(ModelDirectory) ?? "",
            Pull = Value(ModelPull),
            Hub = new PullOptions
            {
                Endpoint = Value(HubEndpoint) ?? PullOptions.DefaultEndpoint,
                Token = Value(HubToken),
                LockWait = ModelProvisioningOptions.DefaultLockWait,
            },
            Names = Names,
        }.Validate();

    private static string? Value(string? setting) => string.IsNullOrWhiteSpace(setting) ? null : setting.Trim();
}
