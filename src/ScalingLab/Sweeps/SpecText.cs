using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScalingLab.Common;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ScalingLab.Sweeps;

/// <summary>
/// Reads a sweep spec written in YAML or JSON into one JSON tree, so that validation is written once.
/// YAML plain scalars become numbers/booleans/null where they read as such; quoted scalars stay strings.
/// </summary>
public static class SpecText
{
    /// <summary>Parses <paramref name="text"/> (YAML or JSON) into a JSON object; a syntax error is a one-line <see cref="UserError"/>.</summary>
    public static JsonObject Parse(string text, string source = "sweep spec")
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                var root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                           ?? throw new UserError($"{source}: the top level must be an object");
                Materialize(root); // objects are built lazily: a duplicate key must fail here, not in the middle of the checks
                return root;
            }
            catch (JsonException e)
            {
                throw new UserError($"{source}: malformed JSON ({e.Message.Split('\n')[0]})");
            }
            catch (ArgumentException e)
            {
                throw new UserError($"{source}: a field is given twice ({e.Message.Split('\n')[0]})");
            }
        }
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new UserError($"{source}: malformed YAML at line {e.Start.Line}, column {e.Start.Column} ({e.Message.Split('\n')[0]})");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner and parser throw these on some malformed input (found by the fuzz tests).
            throw new UserError($"{source}: malformed YAML (a value could not be read); check quotes and brackets");
        }
        if (yaml.Documents.Count == 0) throw new UserError($"{source}: the file is empty; see 'scalinglab sweep --help' for an example");
        try
        {
            return ToJson(yaml.Documents[0].RootNode) as JsonObject
                   ?? throw new UserError($"{source}: the top level must be a mapping of fields");
        }
        catch (ArgumentException e)
        {
            throw new UserError($"{source}: a field is given twice ({e.Message.Split('\n')[0]})");
        }
        catch (InvalidCastException)
        {
            throw new UserError($"{source}: a mapping key is not a plain value (a list or a mapping used as a key)");
        }
    }

    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o: foreach (var kv in o) Materialize(kv.Value); break;
            case JsonArray a: foreach (var x in a) Materialize(x); break;
        }
    }

    /// <summary>Reads and parses a spec file; a missing file is a one-line <see cref="UserError"/>.</summary>
    public static JsonObject Load(string path)
    {
        if (!File.Exists(path)) throw new UserError($"sweep spec '{path}' does not exist; pass a YAML or JSON file");
        return Parse(File.ReadAllText(path), $"sweep spec '{Path.GetFileName(path)}'");
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s => Scalar(s),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        string v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        if (v is "" or "~" or "null") return null;
        if (v is "true" or "True") return JsonValue.Create(true);
        if (v is "false" or "False") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
