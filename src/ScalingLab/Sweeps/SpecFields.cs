using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ScalingLab.Common;

namespace ScalingLab.Sweeps;

/// <summary>
/// Reads typed fields out of a JSON object and names the field in every error ("train.batch must be ...").
/// Unknown fields are errors too: a typo must not silently fall back to a default.
/// </summary>
public sealed class SpecFields
{
    private readonly JsonObject _obj;
    private readonly string _path;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Fields of <paramref name="obj"/>, named in errors as <paramref name="path"/>.KEY.</summary>
    public SpecFields(JsonObject obj, string path)
    {
        _obj = obj;
        _path = path;
    }

    public string Path => _path;

    public string Name(string key) => _path.Length == 0 ? key : $"{_path}.{key}";

    public UserError Error(string key, string what) => new($"sweep spec: {Name(key)} {what}");

    public bool Has(string key) => _obj.ContainsKey(key) && _obj[key] is not null;

    public JsonNode? Raw(string key)
    {
        _read.Add(key);
        return _obj.TryGetPropertyValue(key, out var v) ? v : null;
    }

    public string? String(string key)
    {
        var v = Raw(key);
        if (v is null) return null;
        if (v is JsonValue jv && jv.TryGetValue(out string? s)) return s;
        if (v is JsonValue) return v.ToJsonString();
        throw Error(key, "must be a text value");
    }

    public double? Double(string key)
    {
        var v = Raw(key);
        if (v is null) return null;
        if (v is JsonValue jv)
        {
            if (Number(jv) is double n) return n;
            if (jv.TryGetValue(out string? s) && TryParseCount(s, out double d)) return d;
        }
        throw Error(key, $"must be a number (got {v.ToJsonString()})");
    }

    public double Double(string key, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity,
                         bool minExclusive = false)
    {
        double d = Double(key) ?? fallback;
        if (double.IsNaN(d) || d < min || (minExclusive && d <= min) || d > max)
            throw Error(key, $"must be in {(minExclusive ? "(" : "[")}{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}] (got {d.ToString(CultureInfo.InvariantCulture)})");
        return d;
    }

    public long Long(string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        double? d = Double(key);
        if (d is null) return fallback;
        if (d != Math.Floor(d.Value) || d < min || d > max)
            throw Error(key, $"must be a whole number in [{min}, {max}] (got {d.Value.ToString(CultureInfo.InvariantCulture)})");
        return (long)d.Value;
    }

    public int Int(string key, int fallback, int min = int.MinValue, int max = int.MaxValue) => (int)Long(key, fallback, min, max);

    public JsonObject? Object(string key)
    {
        var v = Raw(key);
        if (v is null) return null;
        return v as JsonObject ?? throw Error(key, "must be a mapping of fields");
    }

    public JsonArray? Array(string key)
    {
        var v = Raw(key);
        if (v is null) return null;
        if (v is JsonArray a) return a;
        return new JsonArray(v.DeepClone()); // a single value is a list of one
    }

    /// <summary>Throws for the first field that no reader asked for (a typo or an unsupported option).</summary>
    public void RejectUnknown(params string[] alsoAllowed)
    {
        foreach (var (key, _) in _obj)
            if (!_read.Contains(key) && !alsoAllowed.Contains(key))
                throw new UserError($"sweep spec: unknown field '{Name(key)}'; see 'scalinglab sweep --help' for the fields");
    }

    /// <summary>The value of a JSON number however it was made (parsed text or a CLR long/double); null otherwise.</summary>
    public static double? Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    /// <summary>Parses counts such as "2M", "500k", "1.5e6", "1_000_000".</summary>
    public static bool TryParseCount(string text, out double value)
    {
        string s = text.Trim().Replace("_", "").Replace(",", "");
        double mult = 1;
        if (s.Length > 0)
        {
            switch (char.ToLowerInvariant(s[^1]))
            {
                case 'k': mult = 1e3; s = s[..^1]; break;
                case 'm': mult = 1e6; s = s[..^1]; break;
                case 'g' or 'b': mult = 1e9; s = s[..^1]; break;
            }
        }
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            value *= mult;
            return true;
        }
        return false;
    }
}
