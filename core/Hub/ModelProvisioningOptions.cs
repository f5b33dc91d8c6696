namespace Pix2PixZero.Core.Hub;

/// <summary>
/// Where a server finds its model bundle, and whether it may pull one there on first start. Core reads no
/// configuration: the host fills this record from its own settings and gives their names in <see cref="Names"/>, so
/// that an error says which setting to change.
/// </summary>
public sealed record ModelProvisioningOptions
{
    /// <summary>Instances that start together on one share wait for the one that pulls instead of failing.</summary>
    public static readonly TimeSpan DefaultLockWait = TimeSpan.FromHours(2);

    /// <summary>The bundle folder, e.g. a mounted share's /mnt/models/stable-diffusion-v1-4.</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>
    /// The model to pull when the folder holds no bundle: sd14, sd15 or owner/repo[@revision]; <c>null</c>: never pull.
    /// </summary>
    public string? Pull { get; init; }

    public PullOptions Hub { get; init; } = new() { LockWait = DefaultLockWait };

    /// <summary>
    /// What the host calls <see cref="ModelDirectory"/> and <see cref="Pull"/> (e.g. its app settings' names).
    /// </summary>
    public OptionNames Names { get; init; } = OptionNames.Default;

    /// <summary>The model <see cref="Pull"/> names, or <c>null</c>.</summary>
    public HubModelReference? PullModel => Pull is null ? null : HubModelReference.Parse(Pull);

    public ModelProvisioningOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelDirectory))
            throw new InvalidOptionException(
                Names.ModelDirectory,
                null,
                "the folder that holds (or will hold) the model bundle, e.g. /mnt/models/stable-diffusion-v1-4"
            );
        try
        {
            if (Pull is not null)
                HubModelReference.Parse(Pull);
        }
        catch (InvalidOptionException e)
        {
            throw new InvalidOptionException(Names.Pull, Pull, $"empty (never pull), or {e.Message}");
        }
        Hub.Validate();
        return this;
    }

    /// <summary>The names errors give the options.</summary>
    public sealed record OptionNames(string ModelDirectory, string Pull)
    {
        public static readonly OptionNames Default = new("the model folder", "the model to pull");
    }
}
