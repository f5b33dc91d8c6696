namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// One Azurite for every test of this project. The tests run one after another (a 2-core machine gains nothing from
/// running model-heavy tests at once, and the load test's memory figure stays its own).
/// </summary>
[CollectionDefinition(Name)]
public sealed class StorageCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "storage";
}

public sealed class AzuriteFixture : IAsyncLifetime
{
    public Azurite Storage { get; private set; } = null!;

    public async Task InitializeAsync() => Storage = await Azurite.StartAsync();

    public async Task DisposeAsync() => await Storage.DisposeAsync();
}
