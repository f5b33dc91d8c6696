using System.Text.Json;

namespace Pix2PixZero.Infra.Tests;

/// <summary>A resource in the compiled template, with the (nested) template that declares it.</summary>
/// <param name="Module">Deployment names from main down to the declaring template; empty for main itself.</param>
public sealed record ArmResource(string Module, JsonElement Definition, ArmTemplate Template)
{
    public string Type => Definition.GetProperty("type").GetString()!;

    public JsonElement Properties => Definition.GetProperty("properties");

    public string? StringAt(params string[] path)
    {
        var element = Definition;
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                return null;
        }
        return element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            _ => element.GetRawText(),
        };
    }

    public override string ToString() => $"{Type} in '{(Module.Length == 0 ? "main" : Module)}'";
}

/// <summary>
/// An ARM template as `bicep build` writes it: modules become Microsoft.Resources/deployments resources whose
/// properties.template is the module's compiled template.
/// </summary>
public sealed class ArmTemplate
{
    private const string DeploymentType = "Microsoft.Resources/deployments";

    public ArmTemplate(JsonElement root, string module = "")
    {
        Root = root;
        Module = module;
    }

    public JsonElement Root { get; }

    public string Module { get; }

    public IEnumerable<JsonElement> OwnResources => Root.GetProperty("resources").EnumerateArray();

    public IEnumerable<KeyValuePair<string, JsonElement>> Outputs =>
        Root.TryGetProperty("outputs", out var outputs)
            ? outputs.EnumerateObject().Select(o => KeyValuePair.Create(o.Name, o.Value))
            : [];

    public JsonElement Parameter(string name) => Root.GetProperty("parameters").GetProperty(name);

    public JsonElement Variable(string name) => Root.GetProperty("variables").GetProperty(name);

    /// <summary>This template and every module template below it.</summary>
    public IEnumerable<ArmTemplate> AllTemplates()
    {
        yield return this;
        foreach (var deployment in OwnResources.Where(r => r.GetProperty("type").GetString() == DeploymentType))
        {
            var name = deployment.GetProperty("name").GetString()!;
            var child = new ArmTemplate(
                deployment.GetProperty("properties").GetProperty("template"),
                Module.Length == 0 ? name : $"{Module}/{name}"
            );
            foreach (var template in child.AllTemplates())
                yield return template;
        }
    }

    /// <summary>Every resource other than module deployments, in this template and all module templates.</summary>
    public IEnumerable<ArmResource> AllResources() =>
        AllTemplates()
            .SelectMany(t =>
                t.OwnResources.Where(r => r.GetProperty("type").GetString() != DeploymentType)
                    .Select(r => new ArmResource(t.Module, r, t))
            );

    public IEnumerable<ArmResource> ResourcesOfType(string type) =>
        AllResources().Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));
}
