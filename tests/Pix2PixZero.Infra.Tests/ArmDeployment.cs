using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pix2PixZero.Infra.Tests;

/// <summary>A resource as a deployment of the compiled template creates it: every expression evaluated.</summary>
/// <param name="Module">Deployment names from main down to the declaring template; empty for main itself.</param>
/// <param name="Id">The resource's ID: /subscriptions/…/resourceGroups/…/providers/{type}/{name},
/// or {scope}/providers/… for an extension resource.</param>
public sealed record DeployedResource(
    string Module,
    string Type,
    string Name,
    string Id,
    string? Scope,
    JsonObject Definition
)
{
    public JsonNode Properties => Definition["properties"]!;

    public override string ToString() => $"{Type} '{Name}' in '{(Module.Length == 0 ? "main" : Module)}'";
}

/// <summary>
/// Evaluates the compiled ARM template the way Resource Manager would for given parameter values: parameters,
/// variables, module deployments with their parameters, copy loops and conditions, and the template functions the
/// template uses. What only exists after deployment (reference(), list*()) evaluates to a
/// <see cref="Runtime(string)"/> text naming it, e.g. "⟨reference(/subscriptions/…/id-x).clientId⟩", so a test can
/// say which resource's property a value is without pinning the expression that reads it.
/// </summary>
public sealed class ArmDeployment
{
    public const string SubscriptionId = "00000000-0000-0000-0000-000000000001";
    public const string TenantId = "00000000-0000-0000-0000-000000000002";

    private readonly List<DeployedResource> _resources = [];

    public ArmDeployment(ArmTemplate main, IReadOnlyDictionary<string, JsonNode?> parameters)
    {
        var location = parameters.TryGetValue("location", out var l) ? l!.GetValue<string>() : "westus3";
        Deploy(new Scope(JsonNode.Parse(main.Root.GetRawText())!, "", resourceGroup: null, location, parameters));
    }

    public IReadOnlyList<DeployedResource> Resources => _resources;

    public IEnumerable<DeployedResource> OfType(string type) =>
        _resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public DeployedResource ById(string id) =>
        _resources.SingleOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"no deployed resource has the ID {id}");

    /// <summary>The text a value that only exists once deployed evaluates to.</summary>
    public static string Runtime(string expression) => $"⟨{expression}⟩";

    private void Deploy(Scope scope)
    {
        foreach (var resource in scope.Template["resources"]!.AsArray().Select(r => r!.AsObject()))
        {
            var copy = resource["copy"];
            var count = copy is null ? 1 : ToInt(scope.Evaluate(copy["count"], null));
            for (var index = 0; index < count; index++)
            {
                int? copyIndex = copy is null ? null : index;
                if (resource["condition"] is { } condition && !ToBool(scope.Evaluate(condition, copyIndex)))
                    continue;
                var type = resource["type"]!.GetValue<string>();
                var name = ToText(scope.Evaluate(resource["name"], copyIndex));
                if (type == "Microsoft.Resources/deployments")
                {
                    DeployModule(scope, resource, name, copyIndex);
                    continue;
                }
                var definition = new JsonObject();
                foreach (var (key, value) in resource)
                {
                    if (key is "dependsOn" or "copy" or "condition")
                        continue;
                    definition[key] = ToNode(scope.Evaluate(value, copyIndex));
                }
                var resourceScope = definition["scope"]?.GetValue<string>();
                var id =
                    resourceScope is not null ? $"{resourceScope}/providers/{type}/{name}"
                    : scope.ResourceGroup is null && type == "Microsoft.Resources/resourceGroups"
                        ? $"/subscriptions/{SubscriptionId}/resourceGroups/{name}"
                    : scope.ResourceId(type, name.Split('/'));
                _resources.Add(new DeployedResource(scope.Module, type, name, id, resourceScope, definition));
            }
        }
    }

    private void DeployModule(Scope parent, JsonObject deployment, string name, int? copyIndex)
    {
        var properties = deployment["properties"]!.AsObject();
        Assert.Equal("inner", properties["expressionEvaluationOptions"]?["scope"]?.GetValue<string>());
        var parameters = new Dictionary<string, JsonNode?>();
        foreach (var (parameter, value) in properties["parameters"]?.AsObject() ?? [])
            parameters[parameter] = ToNode(parent.Evaluate(value!["value"], copyIndex));
        var resourceGroup = deployment["resourceGroup"] is { } group
            ? ToText(parent.Evaluate(group, copyIndex))
            : parent.ResourceGroup;
        Deploy(
            new Scope(
                properties["template"]!.AsObject(),
                parent.Module.Length == 0 ? name : $"{parent.Module}/{name}",
                resourceGroup,
                parent.Location,
                parameters
            )
        );
    }

    /// <summary>A value known only once deployed; property access and indexing extend its text.</summary>
    private sealed record RuntimeValue(string Expression);

    /// <summary>One template's evaluation context.</summary>
    private sealed class Scope
    {
        private readonly Dictionary<string, object?> _parameters = [];
        private readonly Dictionary<string, object?> _variables = [];

        public Scope(
            JsonNode template,
            string module,
            string? resourceGroup,
            string location,
            IReadOnlyDictionary<string, JsonNode?> supplied
        )
        {
            Template = template.AsObject();
            Module = module;
            ResourceGroup = resourceGroup;
            Location = location;
            foreach (var (name, declaration) in Template["parameters"]?.AsObject() ?? [])
            {
                if (supplied.TryGetValue(name, out var value))
                    _parameters[name] = Clone(value);
                else if (declaration!["defaultValue"] is { } fallback)
                    _parameters[name] = Evaluate(fallback, null);
                else
                    throw new InvalidOperationException(
                        $"parameter '{name}' of '{module}' has no value and no default"
                    );
            }
        }

        public JsonObject Template { get; }

        public string Module { get; }

        public string? ResourceGroup { get; }

        public string Location { get; }

        public string ResourceId(string type, IReadOnlyList<string> names)
        {
            var segments = type.Split('/');
            var path = new StringBuilder($"{segments[0]}/{segments[1]}/{names[0]}");
            for (var i = 1; i < names.Count; i++)
                path.Append($"/{segments[i + 1]}/{names[i]}");
            var prefix = ResourceGroup is null
                ? $"/subscriptions/{SubscriptionId}"
                : $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}";
            return $"{prefix}/providers/{path}";
        }

        /// <summary>Evaluates every expression in a JSON value (object keys too).</summary>
        public object? Evaluate(JsonNode? node, int? copyIndex) =>
            node switch
            {
                JsonObject o => new JsonObject(
                    o.Select(p =>
                        KeyValuePair.Create(
                            ToText(Evaluate(JsonValue.Create(p.Key), copyIndex)),
                            ToNode(Evaluate(p.Value, copyIndex))
                        )
                    )
                ),
                JsonArray a => new JsonArray(a.Select(item => ToNode(Evaluate(item, copyIndex))).ToArray()),
                JsonValue v when v.GetValueKind() == JsonValueKind.String => EvaluateString(
                    v.GetValue<string>(),
                    copyIndex
                ),
                _ => node?.DeepClone(),
            };

        private object? EvaluateString(string text, int? copyIndex)
        {
            if (text.StartsWith("[[", StringComparison.Ordinal))
                return JsonValue.Create(text[1..]);
            if (!text.StartsWith('[') || !text.EndsWith(']'))
                return JsonValue.Create(text);
            var parser = new ExpressionParser(text[1..^1]);
            var expression = parser.ParseExpression();
            parser.ExpectEnd();
            return Evaluate(expression, copyIndex);
        }

        private object? Evaluate(Expression expression, int? copyIndex)
        {
            switch (expression)
            {
                case Literal literal:
                    return literal.Value.DeepClone();
                case Member member:
                {
                    var target = Evaluate(member.Target, copyIndex);
                    if (target is RuntimeValue runtime)
                        return new RuntimeValue($"{runtime.Expression}.{member.Name}");
                    var obj = ToNode(target)!.AsObject();
                    var key = obj.Select(p => p.Key)
                        .FirstOrDefault(k => string.Equals(k, member.Name, StringComparison.OrdinalIgnoreCase))
                        ?? throw new InvalidOperationException($"no property '{member.Name}' in {obj.ToJsonString()}");
                    return obj[key]?.DeepClone();
                }
                case Index index:
                {
                    var target = Evaluate(index.Target, copyIndex);
                    var at = Evaluate(index.At, copyIndex);
                    if (target is RuntimeValue runtime)
                        return new RuntimeValue($"{runtime.Expression}[{ToText(at)}]");
                    return ToNode(target) switch
                    {
                        JsonArray array => array[ToInt(at)]?.DeepClone(),
                        JsonObject obj => obj[ToText(at)]?.DeepClone(),
                        var other => throw new InvalidOperationException($"cannot index {other?.ToJsonString()}"),
                    };
                }
                case Call call:
                    return Invoke(
                        call.Function,
                        call.Arguments.Select(a => Evaluate(a, copyIndex)).ToList(),
                        copyIndex
                    );
                default:
                    throw new InvalidOperationException($"unknown expression {expression}");
            }
        }

        private object? Invoke(string function, IReadOnlyList<object?> args, int? copyIndex)
        {
            switch (function.ToLowerInvariant())
            {
                case "parameters":
                    return Clone(_parameters[ToText(args[0])]);
                case "variables":
                    return Variable(ToText(args[0]));
                case "copyindex":
                    return JsonValue.Create(
                        (copyIndex ?? throw new InvalidOperationException("copyIndex() outside a copy loop"))
                            + (
                                args.Count > 0
                                && ToNode(args[^1]) is JsonValue v
                                && v.GetValueKind() == JsonValueKind.Number
                                    ? v.GetValue<int>()
                                    : 0
                            )
                    );
                case "format":
                {
                    var values = args.Skip(1).Select(ToText).ToArray();
                    return JsonValue.Create(
                        string.Format(System.Globalization.CultureInfo.InvariantCulture, ToText(args[0]), values)
                    );
                }
                case "resourceid":
                    return JsonValue.Create(ResourceId(ToText(args[0]), args.Skip(1).Select(ToText).ToList()));
                case "subscriptionresourceid":
                    return JsonValue.Create(
                        $"/subscriptions/{SubscriptionId}/providers/{ToText(args[0])}"
                            + $"/{string.Join('/', args.Skip(1).Select(ToText))}"
                    );
                case "extensionresourceid":
                    return JsonValue.Create(
                        $"{ToText(args[0])}/providers/{ToText(args[1])}/{string.Join('/', args.Skip(2).Select(ToText))}"
                    );
                case "subscription":
                    return new JsonObject
                    {
                        ["id"] = $"/subscriptions/{SubscriptionId}",
                        ["subscriptionId"] = SubscriptionId,
                        ["tenantId"] = TenantId,
                    };
                case "tenant":
                    return new JsonObject { ["tenantId"] = TenantId };
                case "resourcegroup":
                    return new JsonObject
                    {
                        ["id"] = $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}",
                        ["name"] = ResourceGroup,
                        ["location"] = Location,
                    };
                case "reference":
                    return new RuntimeValue($"reference({ToText(args[0])})");
                case var list when list.StartsWith("list", StringComparison.Ordinal):
                    return new RuntimeValue($"{function}({ToText(args[0])})");
                case "guid":
                    return JsonValue.Create(new Guid(Hash(args)[..16]).ToString());
                case "uniquestring":
                    return JsonValue.Create(Convert.ToHexString(Hash(args))[..13].ToLowerInvariant());
                case "tolower":
                    return JsonValue.Create(ToText(args[0]).ToLowerInvariant());
                case "length":
                    return JsonValue.Create(
                        ToNode(args[0]) switch
                        {
                            JsonArray a => a.Count,
                            JsonObject o => o.Count,
                            var s => ToText(s).Length,
                        }
                    );
                case "empty":
                    return JsonValue.Create(
                        ToNode(args[0]) switch
                        {
                            null => true,
                            JsonArray a => a.Count == 0,
                            JsonObject o => o.Count == 0,
                            var s => ToText(s).Length == 0,
                        }
                    );
                case "if":
                    return ToBool(args[0]) ? args[1] : args[2];
                case "createobject":
                {
                    var result = new JsonObject();
                    for (var i = 0; i + 1 < args.Count; i += 2)
                        result[ToText(args[i])] = ToNode(args[i + 1]);
                    return result;
                }
                case "union":
                {
                    var result = new JsonObject();
                    foreach (var arg in args)
                    foreach (var (key, value) in ToNode(arg)!.AsObject())
                        result[key] = value?.DeepClone();
                    return result;
                }
                case "true":
                    return JsonValue.Create(true);
                case "false":
                    return JsonValue.Create(false);
                case "null":
                    return null;
                default:
                    throw new InvalidOperationException(
                        $"the test's evaluator does not know the template function {function}()"
                    );
            }
        }

        private object? Variable(string name)
        {
            if (!_variables.TryGetValue(name, out var value))
            {
                var declaration = Template["variables"]?[name]
                    ?? throw new InvalidOperationException($"no variable '{name}' in '{Module}'");
                _variables[name] = value = Evaluate(declaration, null);
            }
            return Clone(value);
        }
    }

    private static object? Clone(object? value) => value is JsonNode node ? node.DeepClone() : value;

    private static byte[] Hash(IEnumerable<object?> args) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', args.Select(ToText))));

    private static JsonNode? ToNode(object? value) =>
        value switch
        {
            RuntimeValue runtime => JsonValue.Create(Runtime(runtime.Expression)),
            JsonNode node => node.Parent is null ? node : node.DeepClone(),
            null => null,
            _ => throw new InvalidOperationException($"unexpected value {value}"),
        };

    private static string ToText(object? value) =>
        value switch
        {
            RuntimeValue runtime => Runtime(runtime.Expression),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonNode node => node.ToJsonString(),
            null => "",
            _ => value.ToString()!,
        };

    private static int ToInt(object? value) => ToNode(value)!.GetValue<int>();

    private static bool ToBool(object? value) => ToNode(value)!.GetValue<bool>();

    private abstract record Expression;

    private sealed record Literal(JsonNode Value) : Expression;

    private sealed record Call(string Function, IReadOnlyList<Expression> Arguments) : Expression;

    private sealed record Member(Expression Target, string Name) : Expression;

    private sealed record Index(Expression Target, Expression At) : Expression;

    /// <summary>The ARM expression language: 'strings', integers, function(args), .property and [index].</summary>
    private sealed class ExpressionParser(string text)
    {
        private int _at;

        public Expression ParseExpression()
        {
            SkipSpace();
            Expression expression;
            if (Peek() == '\'')
            {
                var value = new StringBuilder();
                _at++;
                while (true)
                {
                    if (text[_at] == '\'' && _at + 1 < text.Length && text[_at + 1] == '\'')
                    {
                        value.Append('\'');
                        _at += 2;
                    }
                    else if (text[_at] == '\'')
                    {
                        _at++;
                        break;
                    }
                    else
                        value.Append(text[_at++]);
                }
                expression = new Literal(JsonValue.Create(value.ToString()));
            }
            else if (char.IsDigit(Peek()) || Peek() == '-')
            {
                var start = _at++;
                while (char.IsDigit(Peek()))
                    _at++;
                expression = new Literal(
                    JsonValue.Create(int.Parse(text[start.._at], System.Globalization.CultureInfo.InvariantCulture))
                );
            }
            else
            {
                var name = Identifier();
                Expect('(');
                var arguments = new List<Expression>();
                SkipSpace();
                if (Peek() != ')')
                {
                    arguments.Add(ParseExpression());
                    while (Accept(','))
                        arguments.Add(ParseExpression());
                }
                Expect(')');
                expression = new Call(name, arguments);
            }
            while (true)
            {
                if (Accept('.'))
                    expression = new Member(expression, Identifier());
                else if (Accept('['))
                {
                    expression = new Index(expression, ParseExpression());
                    Expect(']');
                }
                else
                    return expression;
            }
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_at != text.Length)
                throw new FormatException($"unexpected '{text[_at..]}' in [{text}]");
        }

        private string Identifier()
        {
            SkipSpace();
            var start = _at;
            while (_at < text.Length && (char.IsLetterOrDigit(text[_at]) || text[_at] is '_' or '$'))
                _at++;
            if (start == _at)
                throw new FormatException($"expected a name at {_at} in [{text}]");
            return text[start.._at];
        }

        private char Peek() => _at < text.Length ? text[_at] : '\0';

        private bool Accept(char c)
        {
            SkipSpace();
            if (Peek() != c)
                return false;
            _at++;
            return true;
        }

        private void Expect(char c)
        {
            if (!Accept(c))
                throw new FormatException($"expected '{c}' at {_at} in [{text}]");
        }

        private void SkipSpace()
        {
            while (_at < text.Length && text[_at] == ' ')
                _at++;
        }
    }
}
