using System.Text.Json;
using System.Text.RegularExpressions;
using ScalingLab.Common;
using ScalingLab.Model;

namespace ScalingLab.Training;

/// <summary>
/// The weights of a Hugging Face folder: model.safetensors, or shards listed by model.safetensors.index.json
/// ({"weight_map": {tensor: shard file}}), tensors in F32, F16 or BF16 (widened to float32). Names are the state-dict
/// names of GPT2LMHeadModel / GPTNeoXForCausalLM, with or without the base-model prefix ("transformer.",
/// "gpt_neox."); GPT-2 keeps Conv1D weights [in, out] and NeoX nn.Linear [out, in], exactly as our model stores them,
/// so import is a renaming. Buffers (attention masks, masked_bias, rotary inv_freq) are ignored; a tied GPT-2
/// lm_head.weight must equal wte. Everything is checked before the model is allocated: every tensor of the layout
/// present once with its shape, no unknown tensor, the index and the shards' headers agreeing.
/// </summary>
public static partial class HfWeights
{
    /// <summary>Largest index.json or config.json we read (real ones are a few hundred kB).</summary>
    public const long MaxJsonBytes = 100_000_000;

    [GeneratedRegex(@"^(h\.\d+\.attn\.(bias|masked_bias)|layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)|rotary_emb\.inv_freq)$")]
    private static partial Regex Buffer();

    /// <summary>The name under which our tensor <paramref name="name"/> is saved (what from_pretrained expects).</summary>
    public static string External(ModelFlavour flavour, string name) =>
        flavour == ModelFlavour.NeoX && name != "embed_out.weight" ? "gpt_neox." + name : name;

    /// <summary>Our name for a file's tensor (the base-model prefix removed).</summary>
    public static string Internal(string name) =>
        name.StartsWith("transformer.", StringComparison.Ordinal) ? name["transformer.".Length..]
        : name.StartsWith("gpt_neox.", StringComparison.Ordinal) ? name["gpt_neox.".Length..]
        : name;

    /// <summary>Where each tensor of the layout comes from, checked; <see cref="Read"/> fills a parameter block from it.</summary>
    public sealed record Plan(string Dir, IReadOnlyList<(ParamView View, SafeTensors.Header File, SafeTensors.Tensor Tensor)> Sources,
                              (SafeTensors.Header File, SafeTensors.Tensor Tensor)? TiedHead);

    /// <summary>
    /// Matches the tensors of <paramref name="dir"/> with <paramref name="layout"/> (the model of
    /// <paramref name="config"/>); <paramref name="neoxTied"/>: config.json ties NeoX's embed_out to embed_in.
    /// </summary>
    public static Plan Match(string dir, ModelConfig config, IReadOnlyList<ParamView> layout, bool neoxTied = false)
    {
        var headers = Headers(dir);
        var found = new Dictionary<string, (SafeTensors.Header, SafeTensors.Tensor)>(StringComparer.Ordinal);
        (SafeTensors.Header, SafeTensors.Tensor)? lmHead = null;
        var known = layout.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        string kind = config.Flavour == ModelFlavour.Gpt2 ? "GPT-2" : "GPT-NeoX";
        foreach (var h in headers)
            foreach (var t in h.Tensors.Values)
            {
                string name = Internal(t.Name);
                if (Buffer().IsMatch(name)) continue;
                if (config.Flavour == ModelFlavour.Gpt2 && name == "lm_head.weight") { lmHead = (h, t); continue; }
                if (!known.Contains(name))
                    throw new UserError($"checkpoint: {dir} holds tensor '{t.Name}' that a {kind} model with this config.json does not have (n_layer {config.NLayer}); is config.json the one saved with these weights?");
                if (!found.TryAdd(name, (h, t)))
                    throw new UserError($"checkpoint: {dir} holds tensor '{name}' twice (as '{found[name].Item2.Name}' and '{t.Name}')");
            }
        if (config.Flavour == ModelFlavour.NeoX && neoxTied && !found.ContainsKey("embed_out.weight") && found.TryGetValue("embed_in.weight", out var tied))
            found["embed_out.weight"] = tied;
        var sources = new List<(ParamView, SafeTensors.Header, SafeTensors.Tensor)>();
        foreach (var v in layout)
        {
            if (!found.TryGetValue(v.Name, out var src))
                throw new UserError($"checkpoint: {dir} lacks tensor '{External(config.Flavour, v.Name)}' that its config.json implies ({kind}, {config.NLayer} layers, width {config.DModel}); the weights and config.json do not belong together");
            if (!src.Item2.Shape.SequenceEqual(v.Shape))
                throw new UserError($"checkpoint: tensor '{src.Item2.Name}' in {dir} has shape [{string.Join(",", src.Item2.Shape)}], config.json implies [{string.Join(",", v.Shape)}]");
            sources.Add((v, src.Item1, src.Item2));
        }
        if (lmHead is { } lh)
        {
            var wte = layout[0];
            if (!lh.Item2.Shape.SequenceEqual(wte.Shape))
                throw new UserError($"checkpoint: lm_head.weight in {dir} has shape [{string.Join(",", lh.Item2.Shape)}], wte [{string.Join(",", wte.Shape)}]; GPT-2's head is tied to wte");
        }
        return new Plan(dir, sources, lmHead);
    }

    /// <summary>Reads the tensors of <paramref name="plan"/> into <paramref name="block"/> (the model's parameters).</summary>
    public static void Read(Plan plan, float[] block)
    {
        foreach (var group in plan.Sources.GroupBy(s => s.File.Path))
        {
            using var fs = new FileStream(group.Key, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            foreach (var (v, h, t) in group) SafeTensors.ReadInto(fs, h, t, block.AsSpan(v.Offset, v.Length));
        }
        if (plan.TiedHead is { } lh)
        {
            var wte = plan.Sources[0].View;
            var head = new float[wte.Length];
            using var fs = new FileStream(lh.File.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            SafeTensors.ReadInto(fs, lh.File, lh.Tensor, head);
            if (!head.AsSpan().SequenceEqual(block.AsSpan(wte.Offset, wte.Length)))
                throw new UserError($"checkpoint: lm_head.weight in {plan.Dir} differs from wte.weight; GPT-2 models here tie the LM head to wte (an untied head is not supported)");
        }
    }

    /// <summary>The checked headers of the folder's weight files (one, or every shard of the index).</summary>
    public static IReadOnlyList<SafeTensors.Header> Headers(string dir)
    {
        string single = Path.Combine(dir, "model.safetensors");
        if (File.Exists(single)) return [SafeTensors.ReadHeader(single)];
        string index = Path.Combine(dir, "model.safetensors.index.json");
        if (File.Exists(index)) return Sharded(dir, index);
        foreach (string pickle in new[] { "pytorch_model.bin", "pytorch_model.bin.index.json" })
            if (File.Exists(Path.Combine(dir, pickle)))
                throw new UserError($"checkpoint: {dir} holds {pickle} (a PyTorch pickle, which ScalingLab does not load); convert it once with: python3 -c \"from transformers import AutoModelForCausalLM as M; M.from_pretrained('{dir}').save_pretrained('{dir}', safe_serialization=True)\"");
        throw new UserError($"checkpoint: {dir} has no model.safetensors (nor model.safetensors.index.json); give a checkpoint folder RUN/ckpt-NNNNNNNN or a Hugging Face model folder");
    }

    private static List<SafeTensors.Header> Sharded(string dir, string index)
    {
        long size = new FileInfo(index).Length;
        if (size > MaxJsonBytes) throw new UserError($"checkpoint: {index} has {size} bytes, more than the {MaxJsonBytes}-byte limit for an index");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            byte[] bytes = File.ReadAllBytes(index);
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new UserError($"checkpoint: {index} is not valid UTF-8");
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new UserError($"checkpoint: {index} has no weight_map object");
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw new UserError($"checkpoint: {index} maps '{p.Name}' to something that is not a file name");
                string file = p.Value.GetString()!;
                if (file.Length == 0 || Path.GetFileName(file) != file || file is "." or "..")
                    throw new UserError($"checkpoint: {index} maps '{p.Name}' to '{file}', which is not a file name in the folder");
                if (!map.TryAdd(p.Name, file)) throw new UserError($"checkpoint: {index} lists '{p.Name}' twice");
            }
        }
        catch (JsonException e)
        {
            throw new UserError($"checkpoint: {index} is not valid JSON ({e.Message.Split('\n')[0]})");
        }
        if (map.Count == 0) throw new UserError($"checkpoint: {index} lists no tensors");
        var files = map.Values.Distinct().Order(StringComparer.Ordinal).ToList();
        foreach (string file in files)
            if (!File.Exists(Path.Combine(dir, file))) throw new UserError($"checkpoint: shard {file} named in {index} is missing from {dir}");
        var headers = new List<SafeTensors.Header>();
        foreach (string file in files)
        {
            var h = SafeTensors.ReadHeader(Path.Combine(dir, file));
            foreach (var name in h.Tensors.Keys)
                if (!map.TryGetValue(name, out var listed) || listed != file)
                    throw new UserError($"checkpoint: shard {file} holds '{name}', which {Path.GetFileName(index)} {(listed is null ? "does not list" : $"places in {listed}")}; the index and the shards disagree");
            headers.Add(h);
        }
        foreach (var (name, file) in map)
            if (!headers.First(h => Path.GetFileName(h.Path) == file).Tensors.ContainsKey(name))
                throw new UserError($"checkpoint: {Path.GetFileName(index)} places '{name}' in {file}, which does not hold it; the index and the shards disagree");
        return headers;
    }
}
