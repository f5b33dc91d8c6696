using Microsoft.Extensions.Options;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions;

/// <summary>
/// Runs a settings class's own validation when the app starts (<c>ValidateOnStart</c>): the
/// <see cref="InvalidOptionException"/> it throws, which names the app setting, its value and what is accepted,
/// becomes the start failure's message.
/// </summary>
public sealed class SettingsValidator<TSettings>(Action<TSettings> validate) : IValidateOptions<TSettings>
    where TSettings : class
{
    public ValidateOptionsResult Validate(string? name, TSettings settings)
    {
        try
        {
            validate(settings);
            return ValidateOptionsResult.Success;
        }
        catch (InvalidOptionException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
