namespace Pix2PixZero.Core.Hub;

/// <summary>
/// Where a server (the Functions app) finds its model bundle, and whether it may pull one there on first start.
/// Setting names are configuration keys; as environment variables / app settings ':' is written '__'
/// (<c>Pix2PixZero__ModelDirectory</c>).
/// </summary>
public sealed record ModelProvisioningOptions
{
    public const string ModelDirectorySetting = "Pix2PixZero:ModelDirectory";
    public const string PullSetting = "Pix2PixZero:ModelPull";
    public const string HubEndpointSetting = "Pix2PixZero:HubEndpoint";
    public const string HubTokenSetting = "Pix2PixZero:HubToken";

    /// <summary>Instances that start together on one share wait for the one that pulls instead of failing.</summary>
    public static readonly TimeSpan DefaultLockWait = TimeSpan.FromHours(2);

    /// <summary>The bundle folder, e.g. a mounted share's /mnt/models/stable-diffusion-v1-4.</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>The model to pull when the folder holds no bundle: sd14, sd15 or owner/repo[@revision]; <c>null</c>: never pull.</summary>
    public string? Pull { get; init; }

    public PullOptions Hub { get; init; } = new() { LockWait = DefaultLockWait };

    /// <summary>
    /// Reads the settings above; the hub endpoint and token fall back to the hub's own <c>HF_ENDPOINT</c> and
    /// <c>HF_TOKEN</c>. Pass the app's configuration indexer: <c>FromSettings(key =&gt; configuration[key])</c>.
    /// </summary>
    public static ModelProvisioningOptions FromSettings(Func<string, string?> setting) => new ModelProvisioningOptions
    {
        ModelDirectory = Value(setting, ModelDirectorySetting)
            ?? throw new InvalidOptionException(ModelDirectorySetting, null, "the folder that holds (or will hold) the model bundle, e.g. /mnt/models/stable-diffusion-v1-4"),
        Pull = Value(setting, PullSetting),
        Hub = new PullOptions
        {
            Endpoint = Value(setting, HubEndpointSetting) ?? Value(setting, "HF_ENDPOINT") ?? PullOptions.DefaultEndpoint,
            Token = Value(setting, HubTokenSetting) ?? Value(setting, "HF_TOKEN"),
            LockWait = DefaultLockWait,
        },
    }.Validate();

    /// <summary>The model <see cref="Pull"/> names, or <c>null</c>.</summary>
    public HubModelReference? PullModel => Pull is null ? null : HubModelReference.Parse(Pull);

    public ModelProvisioningOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelDirectory))
            throw new InvalidOptionException(ModelDirectorySetting, ModelDirectory, "the folder that holds (or will hold) the model bundle");
        try
        {
            if (Pull is not null) HubModelReference.Parse(Pull);
        }
        catch (InvalidOptionException e)
        {
            throw new InvalidOptionException(PullSetting, Pull, $"empty (never pull), or {e.Message}");
        }
        Hub.Validate();
        return this;
    }

    private static string? Value(Func<string, string?> setting, string key) => setting(key) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
