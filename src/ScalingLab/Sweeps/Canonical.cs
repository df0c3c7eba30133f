using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ScalingLab.Sweeps;

/// <summary>Canonical JSON (keys sorted, compact), its hash, and the small text helpers the sweep area shares.</summary>
public static class Canonical
{
    /// <summary>Compact JSON with object keys sorted ordinally at every level, so equal trees give equal text.</summary>
    public static string Json(JsonNode? node) => Sort(node)?.ToJsonString() ?? "null";

    /// <summary>First 16 hex digits of SHA-256 of the canonical JSON.</summary>
    public static string Hash(JsonNode? node) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Json(node))))[..16];

    /// <summary>A copy of <paramref name="baseObj"/> with <paramref name="over"/> laid on top (objects merge, everything else replaces).</summary>
    public static JsonObject Merge(JsonObject baseObj, JsonObject over)
    {
        var result = (JsonObject)baseObj.DeepClone();
        foreach (var (k, v) in over)
        {
            if (v is JsonObject vo && result[k] is JsonObject bo) result[k] = Merge(bo, vo);
            else result[k] = v?.DeepClone();
        }
        return result;
    }

    /// <summary>A token count in short form: 1500 → "1.5k", 2000000 → "2M".</summary>
    public static string Count(long n) => n switch
    {
        >= 1_000_000_000 => (n / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
        >= 1_000_000 => (n / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (n / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => KeyValuePair.Create(kv.Key, Sort(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Sort).ToArray()),
        JsonValue v => JsonNode.Parse(v.ToJsonString()),
        _ => null,
    };
}
