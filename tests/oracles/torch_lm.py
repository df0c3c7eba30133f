#!/usr/bin/python3
"""PyTorch oracle for ScalingLab's model tests (test-only; Debian's python3-torch, PyTorch 1.13).

GPT-2 and GPT-NeoX written from torch operations after the Hugging Face definitions (GPT2LMHeadModel,
GPTNeoXForCausalLM), reading a Hugging Face folder: config.json (HF schema) and model.safetensors (read here
with numpy). Computed in float64; autograd gives every parameter's gradient.

  torch_lm.py jobs FILE         runs each line of FILE (tab-separated arguments of one of the modes below)
  torch_lm.py forward DIR       DIR/batch.bin (int32 inputs then targets, B*T each, B in DIR/batch.json) ->
                                DIR/oracle.safetensors: logits [B*T, V], loss [1], grad.NAME for every tensor
  torch_lm.py adamw DIR         DIR/adamw_in.safetensors (param.NAME, grad.NAME) + DIR/adamw.json (lr, betas, eps,
                                weight_decay, steps) -> DIR/adamw_out.safetensors (param.NAME after the steps, with
                                torch.optim.AdamW; decay on 2-D tensors only; step k uses grad * (1 + k/2))
  torch_lm.py convert DIR OUT DTYPE SHARDS
                                OUT: the weights rounded by torch to DTYPE (bf16, f16 or f32), in SHARDS files
                                (HF names model-0000k-of-0000n.safetensors + model.safetensors.index.json when > 1),
                                config.json copied, and OUT/oracle.safetensors with the logits of the rounded model.
"""
import json
import math
import os
import shutil
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"),
          "I64": np.dtype("<i8"), "BOOL": np.dtype("?"), "U8": np.dtype("u1"), "BF16": np.dtype("<u2")}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        a = np.frombuffer(data[b:e], dtype=DTYPES[t["dtype"]])
        if t["dtype"] == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        out[name] = a.reshape(t["shape"])
    return out


def write_safetensors(path, tensors):
    """tensors: name -> (dtype string, bytes, shape)."""
    header, offset, blobs = {}, 0, []
    for name, (dtype, blob, shape) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for blob in blobs:
            f.write(blob)


def f32(name, t):
    a = t.detach().to(torch.float32).contiguous().numpy()
    return name, ("F32", a.tobytes(), a.shape)


def strip(name):
    for p in ("transformer.", "gpt_neox."):
        if name.startswith(p):
            return name[len(p):]
    return name


def gpt2(cfg, w, ids):
    B, T = ids.shape
    C, H = cfg["n_embd"], cfg["n_head"]
    hs = C // H
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    x = w["wte.weight"][ids] + w["wpe.weight"][:T]
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        h = F.layer_norm(x, (C,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]  # Conv1D: [in, out]
        q, k, v = (t.view(B, T, H, hs).transpose(1, 2) for t in qkv.split(C, dim=2))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = F.layer_norm(x, (C,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = F.gelu(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = F.layer_norm(x, (C,), w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].T


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def neox(cfg, w, ids):
    B, T = ids.shape
    C, H = cfg["hidden_size"], cfg["num_attention_heads"]
    hs = C // H
    rot = int(hs * cfg.get("rotary_pct", 0.25))
    base = cfg.get("rotary_emb_base", 10000)
    eps = cfg.get("layer_norm_eps", 1e-5)
    parallel = cfg.get("use_parallel_residual", True)
    inv_freq = 1.0 / (base ** (torch.arange(0, rot, 2, dtype=torch.float64) / rot))
    freqs = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    x = w["embed_in.weight"][ids]
    for l in range(cfg["num_hidden_layers"]):
        p = "layers.%d." % l
        h = F.layer_norm(x, (C,), w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps)
        qkv = h @ w[p + "attention.query_key_value.weight"].T + w[p + "attention.query_key_value.bias"]  # Linear
        qkv = qkv.view(B, T, H, 3 * hs).permute(0, 2, 1, 3)
        q, k, v = qkv[..., :hs], qkv[..., hs:2 * hs], qkv[..., 2 * hs:]
        if rot > 0:
            q = torch.cat((q[..., :rot] * cos + rotate_half(q[..., :rot]) * sin, q[..., rot:]), dim=-1)
            k = torch.cat((k[..., :rot] * cos + rotate_half(k[..., :rot]) * sin, k[..., rot:]), dim=-1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        a = y @ w[p + "attention.dense.weight"].T + w[p + "attention.dense.bias"]

        def mlp(z):
            z = F.layer_norm(z, (C,), w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], eps)
            z = F.gelu(z @ w[p + "mlp.dense_h_to_4h.weight"].T + w[p + "mlp.dense_h_to_4h.bias"])  # exact (erf)
            return z @ w[p + "mlp.dense_4h_to_h.weight"].T + w[p + "mlp.dense_4h_to_h.bias"]

        if parallel:
            x = x + a + mlp(x)
        else:
            x = x + a
            x = x + mlp(x)
    x = F.layer_norm(x, (C,), w["final_layer_norm.weight"], w["final_layer_norm.bias"], eps)
    return x @ w["embed_out.weight"].T


def load(d, weights_file=None):
    cfg = json.load(open(os.path.join(d, "config.json")))
    if weights_file is None:
        raw = read_safetensors(os.path.join(d, "model.safetensors"))
    else:
        raw = weights_file
    w = {}
    for name, a in raw.items():
        n = strip(name)
        if n.endswith((".attn.bias", ".attn.masked_bias", ".attention.bias", ".attention.masked_bias", "inv_freq")):
            continue
        w[n] = torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)
    return cfg, w, raw


def run(cfg, w, ids, targets):
    model = {"gpt2": gpt2, "gpt_neox": neox}[cfg["model_type"]]
    logits = model(cfg, w, ids)
    V = logits.shape[-1]
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)) if targets is not None else None
    return logits.reshape(-1, V), loss


def batch(d):
    b = json.load(open(os.path.join(d, "batch.json")))
    ints = np.fromfile(os.path.join(d, "batch.bin"), dtype="<i4")
    n = b["batch"] * b["seq"]
    ids = torch.tensor(ints[:n].astype(np.int64)).view(b["batch"], b["seq"])
    tg = torch.tensor(ints[n:2 * n].astype(np.int64)).view(b["batch"], b["seq"])
    return ids, tg


def forward(d):
    cfg, w, _ = load(d)
    ids, tg = batch(d)
    logits, loss = run(cfg, w, ids, tg)
    loss.backward()
    out = dict([f32("logits", logits), f32("loss", loss.reshape(1))])
    out.update(f32("grad." + n, t.grad) for n, t in w.items())
    write_safetensors(os.path.join(d, "oracle.safetensors"), out)


def adamw(d):
    s = json.load(open(os.path.join(d, "adamw.json")))
    raw = read_safetensors(os.path.join(d, "adamw_in.safetensors"))
    names = [k[len("param."):] for k in raw if k.startswith("param.")]
    params = {n: torch.tensor(np.array(raw["param." + n], dtype=np.float32), requires_grad=True) for n in names}
    grads = {n: torch.tensor(np.array(raw["grad." + n], dtype=np.float32)) for n in names}
    groups = [{"params": [params[n] for n in names if params[n].dim() == 2], "weight_decay": s["weight_decay"]},
              {"params": [params[n] for n in names if params[n].dim() != 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"])
    for k in range(s["steps"]):
        for n in names:
            params[n].grad = grads[n] * (1 + k / 2)
        opt.step()
    write_safetensors(os.path.join(d, "adamw_out.safetensors"), dict(f32("param." + n, params[n]) for n in names))


def convert(d, out, dtype, shards):
    raw = read_safetensors(os.path.join(d, "model.safetensors"))
    tdt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[dtype]
    code = {"bf16": "BF16", "f16": "F16", "f32": "F32"}[dtype]
    os.makedirs(out, exist_ok=True)
    shutil.copy(os.path.join(d, "config.json"), os.path.join(out, "config.json"))
    rounded, blobs = {}, {}
    for name, a in raw.items():
        t = torch.tensor(np.array(a, dtype=np.float32)).to(tdt)
        blob = (t.view(torch.int16) if tdt == torch.bfloat16 else t).numpy().tobytes()
        blobs[name] = (code, blob, a.shape)
        rounded[name] = t.to(torch.float64).numpy()
    names = list(blobs)
    if shards == 1:
        write_safetensors(os.path.join(out, "model.safetensors"), blobs)
    else:
        weight_map = {}
        for s in range(shards):
            file = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
            part = names[s::shards]
            write_safetensors(os.path.join(out, file), {n: blobs[n] for n in part})
            weight_map.update({n: file for n in part})
        json.dump({"metadata": {"total_size": sum(len(b[1]) for b in blobs.values())}, "weight_map": weight_map},
                  open(os.path.join(out, "model.safetensors.index.json"), "w"))
    cfg, w, _ = load(out, rounded)
    ids, _ = batch(d)
    with torch.no_grad():
        logits, _ = run(cfg, w, ids, None)
    write_safetensors(os.path.join(out, "oracle.safetensors"), dict([f32("logits", logits)]))


def job(args):
    mode = args[0]
    if mode == "forward":
        forward(args[1])
    elif mode == "adamw":
        adamw(args[1])
    elif mode == "convert":
        convert(args[1], args[2], args[3], int(args[4]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    torch.set_num_threads(1)
    if sys.argv[1] == "jobs":  # one job per line of the file (tab-separated arguments): one interpreter start for all
        for line in open(sys.argv[2]):
            if line.strip():
                job(line.rstrip("\n").split("\t"))
    else:
        job(sys.argv[1:])
