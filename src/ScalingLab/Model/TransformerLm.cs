using ScalingLab.Common;
using ScalingLab.Tensors;
using ScalingLab.Tensors.Kernels;

namespace ScalingLab.Model;

/// <summary>
/// A GPT-style decoder-only language model with explicit forward and backward passes (in the manner of llm.c).
/// <para>
/// Flavours. GPT-2: token + learned position embeddings, pre-LN blocks x += attn(ln_1(x)); x += mlp(ln_2(x)),
/// GELU-tanh, final LN, LM head tied to wte. GPT-NeoX: token embeddings only, rotary on the first rotary_pct of
/// each head's dims, parallel residual x += attn(ln1(x)) + mlp(ln2(x)) (or sequential, as GPT-2, when
/// use_parallel_residual is false), GELU-erf, untied embed_out.
/// </para>
/// <para>
/// Memory. Parameters are one float[] with named views (Hugging Face names and shapes, so export is a renaming);
/// gradients mirror it. Activations are sized once for (maxBatch, seqLen) and kept per layer for the backward;
/// a Forward + Backward allocates nothing. The backward overwrites the logits with their gradient in place.
/// </para>
/// <para>
/// Threads. Matrix products go to the <see cref="IGemm"/> (which has its own threads). The rest (LayerNorm,
/// attention over (sequence, head), GELU, cross-entropy) runs on a <see cref="WorkerTeam"/> with fixed
/// partitions; reductions across rows use fixed row blocks summed in order, so with a deterministic GEMM the
/// result does not depend on the thread count.
/// </para>
/// </summary>
public sealed class TransformerLm
{
    private const int LnBlock = 32; // rows per LayerNorm-gradient partial sum (fixed: thread-count independent)

    private struct LayerOffsets
    {
        public int Ln1W, Ln1B, QkvW, QkvB, ProjW, ProjB, Ln2W, Ln2B, FcW, FcB, OutW, OutB;
    }

    private enum Init { Normal, Residual, Zero, One }

    private readonly int _bMax, _t, _c, _h, _hs, _f, _v, _l;
    private readonly bool _neox, _parallel;
    private readonly float _eps;
    private readonly Gelu.Kind _gelu;
    private readonly IGemm _gemm;
    private readonly IGemm _attGemm; // single-threaded, called from every worker at once
    private readonly WorkerTeam _team;
    private readonly Rotary? _rotary;

    private readonly List<ParamView> _params;
    private readonly Dictionary<string, ParamView> _byName = new();
    private readonly List<Init> _inits;
    private readonly LayerOffsets[] _lo;
    private readonly int _wte, _wpe, _lnfW, _lnfB, _head;

    // Activations, per layer where the backward needs them. N = batch·seqLen rows.
    private readonly float[] _res;                  // [L+1, N, C] residual stream entering each block, and after the last
    private readonly float[] _resMid;               // sequential residual: [L, N, C] residual after attention
    private readonly float[] _ln1, _ln2;            // [L, N, C]
    private readonly float[] _ln1Mean, _ln1Rstd, _ln2Mean, _ln2Rstd; // [L, N]
    private readonly float[] _qkv;                  // [L, N, 3C] (q and k rotated, for NeoX)
    private readonly float[] _att;                  // [L, B, H, T, T] attention probabilities
    private readonly float[] _atty;                 // [L, N, C] attention output before the projection
    private readonly float[] _fc, _fcAct;           // [L, N, F] MLP hidden before and after GELU
    private readonly float[] _lnf, _lnfMean, _lnfRstd;
    private readonly float[] _logits;               // [N, V]; the backward overwrites it with dlogits
    private readonly float[] _lse, _rowLoss;        // [N]
    private readonly int[] _inputs, _targets;
    private readonly float[] _upd, _upd2;           // [N, C] sublayer outputs added to the residual

    // Backward buffers.
    private readonly float[] _dres, _dln, _datty, _dqkv, _dfc;
    private readonly float[][] _scratch;            // per worker: max(T², 2C)
    private readonly float[] _lnPartials;           // [nBlocks, 2C]

    private int _n, _batch, _counted; // _counted: target rows that are not IgnoreTarget
    private bool _hasTargets;

    // The job in flight on the worker team: its parameters live in these fields (no closures per call).
    private readonly Action<int> _lnFwdJob, _lnBwdJob, _attFwdJob, _attBwdJob, _geluFwdJob, _geluBwdJob, _ceFwdJob, _ceBwdJob, _ceFusedJob;
    private Memory<float> _jx, _jy, _jz, _jmean, _jrstd;
    private int _jg, _jb, _jlayer;

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; }

    /// <summary>Largest batch a Forward accepts.</summary>
    public int MaxBatch => _bMax;

    /// <summary>Sequence length of every row of a batch.</summary>
    public int SeqLen => _t;

    /// <summary>All parameters, one contiguous block (see <see cref="Params"/> for the views).</summary>
    public float[] Parameters { get; }

    /// <summary>
    /// Gradients, laid out like <see cref="Parameters"/>; Backward adds into them. After <see cref="ZeroGradients"/> they
    /// read as zero (cleared on first access, unless a Backward wrote them first).
    /// </summary>
    public float[] Gradients
    {
        get
        {
            if (_gradsZeroPending)
            {
                Array.Clear(_grads);
                _gradsZeroPending = false;
            }
            return _grads;
        }
    }

    private readonly float[] _grads;
    private bool _gradsZeroPending;   // ZeroGradients was called: the next Backward writes its gradients instead of adding
    private bool _ceFused;            // Forward ran the fused cross-entropy: the logits already hold their gradient

    /// <summary>The threads that run the model's non-GEMM work (the trainer runs the global norm and AdamW on them too).</summary>
    public WorkerTeam Team => _team;

    /// <summary>The named tensors in <see cref="Parameters"/>, in storage order.</summary>
    public IReadOnlyList<ParamView> Params => _params;

    /// <summary>Receives activations and gradients for analysis; null (the default) costs nothing.</summary>
    public ICaptureSink? Capture { get; set; }

    /// <summary>
    /// A model for batches of up to <paramref name="maxBatch"/> sequences of exactly <paramref name="seqLen"/>
    /// tokens. Weights start at zero: call <see cref="InitializeWeights"/> or load them.
    /// </summary>
    public TransformerLm(ModelConfig config, int maxBatch, int seqLen, IGemm gemm, int threads = 1)
    {
        Config = config.Validate();
        if (config.Dropout > 0) throw new UserError($"model: dropout {config.Dropout} is not implemented; set dropout to 0");
        if (maxBatch < 1) throw new UserError($"model: batch must be ≥ 1 (got {maxBatch})");
        if (seqLen < 1 || seqLen > config.NCtx)
            throw new UserError($"model: sequence length {seqLen} must be in [1, n_ctx = {config.NCtx}]; lower --seq or raise n_ctx");
        _gemm = gemm;
        // Attention's small per-head products run inside the parallel (sequence, head) loop, so on one thread each;
        // the reference GEMM (tests) stays the reference.
        _attGemm = gemm is ReferenceGemm ? gemm : Gemm.Create("managed", 1);
        _team = WorkerTeam.Shared(threads <= 0 ? Environment.ProcessorCount : threads);
        _bMax = maxBatch; _t = seqLen; _c = config.DModel; _h = config.NHead; _hs = config.HeadSize;
        _f = config.DFf; _v = config.VocabSize; _l = config.NLayer; _eps = config.LayerNormEps;
        _neox = config.Flavour == ModelFlavour.NeoX;
        _parallel = config.ParallelResidual;
        _gelu = _neox ? Gelu.Kind.Exact : Gelu.Kind.Tanh;
        if (_neox)
        {
            _rotary = new Rotary(_hs, config.RotaryPct, seqLen, config.RotaryTheta);
            if (_rotary.Dims == 0) _rotary = null;
        }

        // Parameters, in the order of the Hugging Face state dicts.
        (_params, _inits, _lo, _wte, _wpe, _lnfW, _lnfB, _head) = BuildLayout(config);
        foreach (var p in _params) _byName[p.Name] = p;
        int C = _c, F = _f, V = _v;
        var last = _params[^1];
        Parameters = new float[last.Offset + last.Length];
        _grads = new float[Parameters.Length];

        // Activations for the largest batch.
        long n = (long)maxBatch * seqLen;
        if (n * Math.Max(V, 3 * Math.Max(C, F)) > Array.MaxLength || (long)_l * maxBatch * _h * seqLen * seqLen > Array.MaxLength)
            throw new UserError($"model: batch {maxBatch} × seq {seqLen} needs activation buffers over 2^31 floats; lower --batch or --seq");
        int N = (int)n, L = _l;
        _res = new float[(L + 1) * N * C];
        _resMid = _parallel ? [] : new float[L * N * C];
        _ln1 = new float[L * N * C]; _ln2 = new float[L * N * C];
        _ln1Mean = new float[L * N]; _ln1Rstd = new float[L * N]; _ln2Mean = new float[L * N]; _ln2Rstd = new float[L * N];
        _qkv = new float[(long)L * N * 3 * C <= Array.MaxLength ? L * N * 3 * C : throw new UserError("model: activations too large; lower --batch or --seq")];
        _att = new float[L * maxBatch * _h * seqLen * seqLen];
        _atty = new float[L * N * C];
        _fc = new float[L * N * F]; _fcAct = new float[L * N * F];
        _lnf = new float[N * C]; _lnfMean = new float[N]; _lnfRstd = new float[N];
        _logits = new float[N * V];
        _lse = new float[N]; _rowLoss = new float[N];
        _inputs = new int[N]; _targets = new int[N];
        _upd = new float[N * C]; _upd2 = new float[N * C];
        _dres = new float[N * C]; _dln = new float[N * C]; _datty = new float[N * C];
        _dqkv = new float[N * 3 * C]; _dfc = new float[N * F];
        _scratch = new float[_team.Threads][];
        for (int w = 0; w < _team.Threads; w++) _scratch[w] = new float[Math.Max(seqLen * seqLen, 2 * C)];
        _lnPartials = new float[(N + LnBlock - 1) / LnBlock * 2 * C];

        _lnFwdJob = LnForwardJob; _lnBwdJob = LnBackwardJob;
        _attFwdJob = AttentionForwardJob; _attBwdJob = AttentionBackwardJob;
        _geluFwdJob = GeluForwardJob; _geluBwdJob = GeluBackwardJob;
        _ceFwdJob = CrossEntropyForwardJob; _ceBwdJob = CrossEntropyBackwardJob; _ceFusedJob = CrossEntropyFusedJob;
    }

    /// <summary>
    /// The named tensors a model of <paramref name="config"/> holds (Hugging Face names and shapes, offsets in the
    /// parameter block), computed without allocating the model: importers check a file against it first.
    /// </summary>
    public static IReadOnlyList<ParamView> Layout(ModelConfig config) => BuildLayout(config.Validate()).Params;

    private static (List<ParamView> Params, List<Init> Inits, LayerOffsets[] Lo, int Wte, int Wpe, int LnfW, int LnfB, int Head)
        BuildLayout(ModelConfig config)
    {
        var list = new List<ParamView>();
        var inits = new List<Init>();
        int Add(string name, int[] shape, Init init)
        {
            int offset = list.Count == 0 ? 0 : list[^1].Offset + list[^1].Length;
            long len = 1;
            foreach (int s in shape) len *= s;
            if (offset + len > Array.MaxLength) throw new UserError("model: more than 2^31 parameters; choose a smaller model");
            list.Add(new ParamView(name, shape, offset, (int)len, shape.Length == 2));
            inits.Add(init);
            return offset;
        }
        int C = config.DModel, F = config.DFf, V = config.VocabSize, L = config.NLayer;
        var lo = new LayerOffsets[L];
        int wte, wpe, lnfW, lnfB, head;
        if (config.Flavour != ModelFlavour.NeoX)
        {
            wte = Add("wte.weight", [V, C], Init.Normal);
            wpe = Add("wpe.weight", [config.NCtx, C], Init.Normal);
            for (int i = 0; i < L; i++)
            {
                string p = $"h.{i}.";
                lo[i] = new LayerOffsets
                {
                    Ln1W = Add(p + "ln_1.weight", [C], Init.One), Ln1B = Add(p + "ln_1.bias", [C], Init.Zero),
                    QkvW = Add(p + "attn.c_attn.weight", [C, 3 * C], Init.Normal), QkvB = Add(p + "attn.c_attn.bias", [3 * C], Init.Zero),
                    ProjW = Add(p + "attn.c_proj.weight", [C, C], Init.Residual), ProjB = Add(p + "attn.c_proj.bias", [C], Init.Zero),
                    Ln2W = Add(p + "ln_2.weight", [C], Init.One), Ln2B = Add(p + "ln_2.bias", [C], Init.Zero),
                    FcW = Add(p + "mlp.c_fc.weight", [C, F], Init.Normal), FcB = Add(p + "mlp.c_fc.bias", [F], Init.Zero),
                    OutW = Add(p + "mlp.c_proj.weight", [F, C], Init.Residual), OutB = Add(p + "mlp.c_proj.bias", [C], Init.Zero),
                };
            }
            lnfW = Add("ln_f.weight", [C], Init.One);
            lnfB = Add("ln_f.bias", [C], Init.Zero);
            head = wte;
        }
        else
        {
            wte = Add("embed_in.weight", [V, C], Init.Normal);
            wpe = -1;
            for (int i = 0; i < L; i++)
            {
                string p = $"layers.{i}.";
                lo[i] = new LayerOffsets
                {
                    Ln1W = Add(p + "input_layernorm.weight", [C], Init.One), Ln1B = Add(p + "input_layernorm.bias", [C], Init.Zero),
                    QkvW = Add(p + "attention.query_key_value.weight", [3 * C, C], Init.Normal),
                    QkvB = Add(p + "attention.query_key_value.bias", [3 * C], Init.Zero),
                    ProjW = Add(p + "attention.dense.weight", [C, C], Init.Residual), ProjB = Add(p + "attention.dense.bias", [C], Init.Zero),
                    Ln2W = Add(p + "post_attention_layernorm.weight", [C], Init.One),
                    Ln2B = Add(p + "post_attention_layernorm.bias", [C], Init.Zero),
                    FcW = Add(p + "mlp.dense_h_to_4h.weight", [F, C], Init.Normal), FcB = Add(p + "mlp.dense_h_to_4h.bias", [F], Init.Zero),
                    OutW = Add(p + "mlp.dense_4h_to_h.weight", [C, F], Init.Residual), OutB = Add(p + "mlp.dense_4h_to_h.bias", [C], Init.Zero),
                };
            }
            lnfW = Add("final_layer_norm.weight", [C], Init.One);
            lnfB = Add("final_layer_norm.bias", [C], Init.Zero);
            head = Add("embed_out.weight", [V, C], Init.Normal);
        }
        return (list, inits, lo, wte, wpe, lnfW, lnfB, head);
    }

    /// <summary>The view named <paramref name="name"/> (Hugging Face name); throws <see cref="UserError"/> if there is none.</summary>
    public ParamView Param(string name) =>
        _byName.TryGetValue(name, out var v) ? v
            : throw new UserError($"model: no parameter named '{name}' in this {Config.Flavour} model (e.g. '{_params[0].Name}')");

    /// <summary>
    /// Normal(0, init_std) weights, residual output projections with init_std/√(2·n_layer) (GPT-2), zero biases and
    /// LayerNorm betas, unit LayerNorm gammas. Each tensor draws from its own RNG stream (forked by index), so
    /// the values do not depend on anything else.
    /// </summary>
    public void InitializeWeights(ulong seed)
    {
        var rng = new Rng(seed);
        float std = Config.InitStd, resStd = (float)(Config.InitStd / Math.Sqrt(2.0 * _l));
        for (int i = 0; i < _params.Count; i++)
        {
            var span = Parameters.AsSpan(_params[i].Offset, _params[i].Length);
            switch (_inits[i])
            {
                case Init.Normal: rng.Fork((ulong)i).FillNormal(span, 0f, std); break;
                case Init.Residual: rng.Fork((ulong)i).FillNormal(span, 0f, resStd); break;
                case Init.Zero: span.Clear(); break;
                case Init.One: span.Fill(1f); break;
            }
        }
    }

    /// <summary>
    /// Sets every gradient to zero. No pass over them: the next <see cref="Backward"/> writes each gradient's first
    /// contribution (GEMMs with β = 0, small vectors cleared first) instead of adding it.
    /// </summary>
    public void ZeroGradients() => _gradsZeroPending = true;

    /// <summary>The logits [batch, seqLen, vocab] of the last Forward (until Backward overwrites them with their gradient).</summary>
    public ReadOnlySpan<float> Logits => _logits.AsSpan(0, _n * _v);

    /// <summary>A target id that takes no part in the loss (a position whose context was cut or a padding slot).</summary>
    public const int IgnoreTarget = -1;

    /// <summary>
    /// Runs the model on <paramref name="batch"/> sequences (<paramref name="inputs"/>: batch×seqLen token ids,
    /// row-major). With <paramref name="targets"/> (same shape) returns the mean cross-entropy in nats over the
    /// targets that are not <see cref="IgnoreTarget"/> (0 when every one is) and prepares <see cref="Backward"/>;
    /// with empty targets computes the logits only and returns NaN.
    /// </summary>
    public float Forward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch)
    {
        if (batch < 1 || batch > _bMax) throw new UserError($"model: batch {batch} must be in [1, {_bMax}] (the size the model was built for)");
        int N = batch * _t, C = _c, F = _f, V = _v;
        if (inputs.Length != N) throw new UserError($"model: expected {N} input ids (batch {batch} × seq {_t}), got {inputs.Length}");
        if (!targets.IsEmpty && targets.Length != N) throw new UserError($"model: expected {N} target ids, got {targets.Length}");
        for (int r = 0; r < N; r++)
        {
            if ((uint)inputs[r] >= (uint)V) throw new UserError($"model: token id {inputs[r]} outside the vocabulary [0, {V}); data and model disagree on vocab size");
            if (!targets.IsEmpty && (uint)targets[r] >= (uint)V && targets[r] != IgnoreTarget) throw new UserError($"model: target id {targets[r]} outside the vocabulary [0, {V})");
        }
        _n = N; _batch = batch; _hasTargets = !targets.IsEmpty;
        _counted = 0;
        if (_hasTargets) foreach (int t in targets) if (t != IgnoreTarget) _counted++;
        inputs.CopyTo(_inputs);
        if (_hasTargets) targets.CopyTo(_targets);
        var P = Parameters;
        var sink = Capture;

        // Embeddings: res₀ = wte[token] (+ wpe[position] for GPT-2).
        var x0 = _res.AsSpan(0, N * C);
        for (int r = 0; r < N; r++)
        {
            var dst = x0.Slice(r * C, C);
            P.AsSpan(_wte + inputs[r] * C, C).CopyTo(dst);
            if (!_neox) Residual.Forward(dst, P.AsSpan(_wpe + (r % _t) * C, C), dst);
        }

        for (int l = 0; l < _l; l++)
        {
            var o = _lo[l];
            var x = _res.AsMemory(l * N * C, N * C);
            var ln1 = _ln1.AsMemory(l * N * C, N * C);
            var qkv = _qkv.AsMemory(l * N * 3 * C, N * 3 * C);
            var atty = _atty.AsMemory(l * N * C, N * C);
            var ln2 = _ln2.AsMemory(l * N * C, N * C);
            var fc = _fc.AsMemory(l * N * F, N * F);
            var fcAct = _fcAct.AsMemory(l * N * F, N * F);
            var next = _res.AsSpan((l + 1) * N * C, N * C);

            LayerNormForward(x, o.Ln1W, o.Ln1B, ln1, _ln1Mean.AsMemory(l * N, N), _ln1Rstd.AsMemory(l * N, N));
            Linear.Forward(_gemm, _neox, ln1.Span, P.AsSpan(o.QkvW, 3 * C * C), P.AsSpan(o.QkvB, 3 * C), qkv.Span, N, C, 3 * C);
            _jlayer = l;
            _team.Run(_attFwdJob, (long)_batch * _h * _t * _t * _hs);
            Linear.Forward(_gemm, _neox, atty.Span, P.AsSpan(o.ProjW, C * C), P.AsSpan(o.ProjB, C), _upd, N, C, C);
            sink?.OnAttentionUpdate(l, _upd.AsSpan(0, N * C), N, C);

            Memory<float> mlpIn;
            if (_parallel) mlpIn = x;
            else
            {
                mlpIn = _resMid.AsMemory(l * N * C, N * C);
                Residual.Forward(x.Span, _upd.AsSpan(0, N * C), mlpIn.Span);
            }
            LayerNormForward(mlpIn, o.Ln2W, o.Ln2B, ln2, _ln2Mean.AsMemory(l * N, N), _ln2Rstd.AsMemory(l * N, N));
            Linear.Forward(_gemm, _neox, ln2.Span, P.AsSpan(o.FcW, C * F), P.AsSpan(o.FcB, F), fc.Span, N, C, F);
            _jx = fc; _jy = fcAct;
            _team.Run(_geluFwdJob, (long)N * F);
            Linear.Forward(_gemm, _neox, fcAct.Span, P.AsSpan(o.OutW, F * C), P.AsSpan(o.OutB, C), _upd2, N, F, C);
            sink?.OnMlpUpdate(l, _upd2.AsSpan(0, N * C), N, C);

            Residual.Forward(mlpIn.Span, _upd2.AsSpan(0, N * C), next);
            if (_parallel) Residual.Forward(next, _upd.AsSpan(0, N * C), next);
        }

        var xL = _res.AsMemory(_l * N * C, N * C);
        sink?.OnFinalHidden(xL.Span, N, C);
        LayerNormForward(xL, _lnfW, _lnfB, _lnf.AsMemory(0, N * C), _lnfMean.AsMemory(0, N), _lnfRstd.AsMemory(0, N));
        Linear.Forward(_gemm, true, _lnf.AsSpan(0, N * C), P.AsSpan(_head, V * C), default, _logits, N, C, V);

        if (!_hasTargets) return float.NaN;
        _team.Run(_ceFused ? _ceFusedJob : _ceFwdJob, (long)N * V);
        double sum = 0;
        for (int r = 0; r < N; r++) sum += _rowLoss[r];
        return _counted == 0 ? 0f : (float)(sum / _counted);
    }

    /// <summary>
    /// Forward and Backward for training, with the cross-entropy's forward and backward fused into one pass over the
    /// logits (<see cref="CrossEntropy.ForwardBackward"/>); returns the mean loss. Afterwards <see cref="Logits"/> holds
    /// their gradient.
    /// </summary>
    public float ForwardBackward(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int batch)
    {
        if (targets.IsEmpty) throw new ArgumentException("ForwardBackward needs targets", nameof(targets));
        _ceFused = true;
        float loss;
        try { loss = Forward(inputs, targets, batch); }
        catch { _ceFused = false; throw; }
        Backward();
        return loss;
    }

    /// <summary>
    /// Adds the gradient of the last Forward's mean loss into <see cref="Gradients"/> (call <see cref="ZeroGradients"/>
    /// first unless accumulating), then hands the wanted gradients to the capture sink.
    /// </summary>
    public void Backward()
    {
        if (!_hasTargets) throw new InvalidOperationException("Backward needs a Forward with targets first");
        _hasTargets = false; // the logits are about to become their gradient
        int N = _n, C = _c, F = _f, V = _v;
        var P = Parameters;
        var G = _grads;
        // After ZeroGradients the GEMM-written weight gradients are overwritten (β = 0); the rest is cleared here.
        bool first = _gradsZeroPending;
        _gradsZeroPending = false;
        if (first)
            foreach (var p in _params)
                if (!IsGemmWritten(p.Offset)) Array.Clear(G, p.Offset, p.Length);

        // LM head: dlogits = (softmax − onehot)/(counted targets) in place (zero rows for ignored targets; already done by
        // a fused forward); dlnf = dlogits·W; dW += dlogitsᵀ·lnf.
        if (!_ceFused) _team.Run(_ceBwdJob, (long)N * V);
        _ceFused = false;
        Linear.Backward(_gemm, true, _logits.AsSpan(0, N * V), _lnf.AsSpan(0, N * C), P.AsSpan(_head, V * C),
                        G.AsSpan(_head, V * C), default, _dln, N, C, V, first);
        Array.Clear(_dres, 0, N * C);
        LayerNormBackward(_dln, _res.AsMemory(_l * N * C, N * C), _lnfW, _lnfB, _lnfMean.AsMemory(0, N), _lnfRstd.AsMemory(0, N));

        for (int l = _l - 1; l >= 0; l--)
        {
            var o = _lo[l];
            var x = _res.AsMemory(l * N * C, N * C);
            var mlpIn = _parallel ? x : _resMid.AsMemory(l * N * C, N * C);
            var dres = _dres.AsSpan(0, N * C);
            _jlayer = l;

            // MLP output projection (and, for the parallel residual, the attention one) read dres before any
            // LayerNorm backward adds into it.
            Linear.Backward(_gemm, _neox, dres, _fcAct.AsSpan(l * N * F, N * F), P.AsSpan(o.OutW, F * C),
                            G.AsSpan(o.OutW, F * C), G.AsSpan(o.OutB, C), _dfc, N, F, C, first);
            if (_parallel)
                Linear.Backward(_gemm, _neox, dres, _atty.AsSpan(l * N * C, N * C), P.AsSpan(o.ProjW, C * C),
                                G.AsSpan(o.ProjW, C * C), G.AsSpan(o.ProjB, C), _datty, N, C, C, first);
            _jx = _fc.AsMemory(l * N * F, N * F);
            _team.Run(_geluBwdJob, (long)N * F);
            Linear.Backward(_gemm, _neox, _dfc, _ln2.AsSpan(l * N * C, N * C), P.AsSpan(o.FcW, C * F),
                            G.AsSpan(o.FcW, C * F), G.AsSpan(o.FcB, F), _dln, N, C, F, first);
            LayerNormBackward(_dln, mlpIn, o.Ln2W, o.Ln2B, _ln2Mean.AsMemory(l * N, N), _ln2Rstd.AsMemory(l * N, N));

            if (!_parallel)
                Linear.Backward(_gemm, _neox, dres, _atty.AsSpan(l * N * C, N * C), P.AsSpan(o.ProjW, C * C),
                                G.AsSpan(o.ProjW, C * C), G.AsSpan(o.ProjB, C), _datty, N, C, C, first);
            _team.Run(_attBwdJob, (long)_batch * _h * _t * _t * _hs);
            Linear.Backward(_gemm, _neox, _dqkv, _ln1.AsSpan(l * N * C, N * C), P.AsSpan(o.QkvW, 3 * C * C),
                            G.AsSpan(o.QkvW, 3 * C * C), G.AsSpan(o.QkvB, 3 * C), _dln, N, C, 3 * C, first);
            LayerNormBackward(_dln, x, o.Ln1W, o.Ln1B, _ln1Mean.AsMemory(l * N, N), _ln1Rstd.AsMemory(l * N, N));
        }

        // Embeddings (rows in order: deterministic). For GPT-2, wte's gradient now holds both of its uses.
        for (int r = 0; r < N; r++)
        {
            var d = _dres.AsSpan(r * C, C);
            Residual.Backward(d, G.AsSpan(_wte + _inputs[r] * C, C));
            if (!_neox) Residual.Backward(d, G.AsSpan(_wpe + (r % _t) * C, C));
        }

        if (Capture is { } sink)
            foreach (var name in sink.WantedGradients)
            {
                var v = Param(name);
                sink.OnGradient(name, G.AsSpan(v.Offset, v.Length), v.Shape);
            }
    }

    /// <summary>True for the weights whose gradient a backward GEMM writes whole (the layer matrices and the LM head).</summary>
    private bool IsGemmWritten(int offset)
    {
        if (offset == _head) return true;
        foreach (var o in _lo)
            if (offset == o.QkvW || offset == o.ProjW || offset == o.FcW || offset == o.OutW) return true;
        return false;
    }

    // ---- parallel jobs ------------------------------------------------------------------------------------

    private void LayerNormForward(Memory<float> x, int gamma, int beta, Memory<float> y, Memory<float> mean, Memory<float> rstd)
    {
        _jx = x; _jy = y; _jmean = mean; _jrstd = rstd; _jg = gamma; _jb = beta;
        _team.Run(_lnFwdJob, (long)_n * _c);
    }

    private void LnForwardJob(int w)
    {
        int C = _c;
        var (s, e) = WorkerTeam.Share(_n, _team.Threads, w);
        if (s == e) return;
        LayerNorm.Forward(_jx.Span.Slice(s * C, (e - s) * C), Parameters.AsSpan(_jg, C), Parameters.AsSpan(_jb, C), _eps,
                          _jy.Span.Slice(s * C, (e - s) * C), _jmean.Span.Slice(s, e - s), _jrstd.Span.Slice(s, e - s), C);
    }

    /// <summary>dres += LN′ᵀ·dy; dγ, dβ += per-block partial sums, added in block order.</summary>
    private void LayerNormBackward(float[] dy, Memory<float> x, int gamma, int beta, Memory<float> mean, Memory<float> rstd)
    {
        _jz = dy; _jx = x; _jmean = mean; _jrstd = rstd; _jg = gamma; _jb = beta;
        _team.Run(_lnBwdJob, (long)_n * _c);
        var Gr = _grads;
        int C = _c, blocks = (_n + LnBlock - 1) / LnBlock;
        var dg = Gr.AsSpan(gamma, C);
        var db = Gr.AsSpan(beta, C);
        for (int k = 0; k < blocks; k++)
        {
            Residual.Backward(_lnPartials.AsSpan(k * 2 * C, C), dg);
            Residual.Backward(_lnPartials.AsSpan(k * 2 * C + C, C), db);
        }
    }

    private void LnBackwardJob(int w)
    {
        int C = _c, blocks = (_n + LnBlock - 1) / LnBlock;
        var (s, e) = WorkerTeam.Share(blocks, _team.Threads, w);
        for (int k = s; k < e; k++)
        {
            int r0 = k * LnBlock, r1 = Math.Min(_n, r0 + LnBlock), rows = r1 - r0;
            var part = _lnPartials.AsSpan(k * 2 * C, 2 * C);
            part.Clear();
            LayerNorm.Backward(_jz.Span.Slice(r0 * C, rows * C), _jx.Span.Slice(r0 * C, rows * C), Parameters.AsSpan(_jg, C),
                               _jmean.Span.Slice(r0, rows), _jrstd.Span.Slice(r0, rows), _dres.AsSpan(r0 * C, rows * C),
                               part.Slice(0, C), part.Slice(C, C), _scratch[w], C);
        }
    }

    /// <summary>Columns of head h's q, k and v in a qkv row: GPT-2 [q | k | v] by head; NeoX [q k v] per head.</summary>
    private (int Q, int K, int V) HeadColumns(int h) =>
        _neox ? (h * 3 * _hs, h * 3 * _hs + _hs, h * 3 * _hs + 2 * _hs) : (h * _hs, _c + h * _hs, 2 * _c + h * _hs);

    /// <summary>Worker <paramref name="w"/>'s share of the attention jobs: (batch row, head) pairs with the head's q, k, v columns.</summary>
    private HeadShareEnumerator HeadShare(int w)
    {
        var (s, e) = WorkerTeam.Share(_batch * _h, _team.Threads, w);
        return new HeadShareEnumerator(this, s, e);
    }

    /// <summary>The pairs of <see cref="HeadShare"/>, job indices <c>s..e-1</c> (b = i / H, h = i % H); a struct, so a training step allocates nothing.</summary>
    private struct HeadShareEnumerator(TransformerLm model, int s, int e)
    {
        private int _i = s - 1;
        public readonly HeadShareEnumerator GetEnumerator() => this;
        public bool MoveNext() => ++_i < e;
        public readonly (int B, int H, int Q, int K, int V) Current
        {
            get
            {
                int h = _i % model._h;
                var (qc, kc, vc) = model.HeadColumns(h);
                return (_i / model._h, h, qc, kc, vc);
            }
        }
    }

    /// <summary>
    /// Rotary position embedding of the q and k columns of one sequence's qkv rows (T × 3C), in place; with
    /// <paramref name="backward"/> its transpose applied to their gradients. No-op without rotary embeddings.
    /// </summary>
    private void RotateQk(Span<float> qkv, int qc, int kc, bool backward)
    {
        if (_rotary is not { } rot) return;
        int C3 = 3 * _c;
        for (int t = 0; t < _t; t++)
        {
            if (backward)
            {
                rot.Backward(qkv.Slice(t * C3 + qc, _hs), t);
                rot.Backward(qkv.Slice(t * C3 + kc, _hs), t);
            }
            else
            {
                rot.Forward(qkv.Slice(t * C3 + qc, _hs), t);
                rot.Forward(qkv.Slice(t * C3 + kc, _hs), t);
            }
        }
    }

    private void AttentionForwardJob(int w)
    {
        int N = _n, C = _c, T = _t, l = _jlayer;
        foreach (var (b, h, qc, kc, vc) in HeadShare(w))
        {
            var qkv = _qkv.AsSpan(l * N * 3 * C + b * T * 3 * C, T * 3 * C);
            RotateQk(qkv, qc, kc, backward: false);
            CausalSelfAttention.Forward(_attGemm, qkv, 3 * C, qc, kc, vc, _atty.AsSpan(l * N * C + b * T * C, T * C), C, h * _hs,
                                        _att.AsSpan(((l * _bMax + b) * _h + h) * T * T, T * T), T, _hs);
        }
    }

    private void AttentionBackwardJob(int w)
    {
        int N = _n, C = _c, T = _t, l = _jlayer;
        foreach (var (b, h, qc, kc, vc) in HeadShare(w))
        {
            var dqkv = _dqkv.AsSpan(b * T * 3 * C, T * 3 * C);
            CausalSelfAttention.Backward(_attGemm, _qkv.AsSpan(l * N * 3 * C + b * T * 3 * C, T * 3 * C), 3 * C, qc, kc, vc,
                                         _datty.AsSpan(b * T * C, T * C), C, h * _hs,
                                         _att.AsSpan(((l * _bMax + b) * _h + h) * T * T, T * T), dqkv, _scratch[w], T, _hs);
            RotateQk(dqkv, qc, kc, backward: true);
        }
    }

    private void GeluForwardJob(int w)
    {
        var (s, e) = WorkerTeam.Share(_n, _team.Threads, w);
        Gelu.Forward(_gelu, _jx.Span.Slice(s * _f, (e - s) * _f), _jy.Span.Slice(s * _f, (e - s) * _f));
    }

    private void GeluBackwardJob(int w)
    {
        var (s, e) = WorkerTeam.Share(_n, _team.Threads, w);
        var d = _dfc.AsSpan(s * _f, (e - s) * _f);
        Gelu.Backward(_gelu, d, _jx.Span.Slice(s * _f, (e - s) * _f), d);
    }

    private void CrossEntropyForwardJob(int w)
    {
        var (s, e) = WorkerTeam.Share(_n, _team.Threads, w);
        for (int r = s; r < e; r++)
            _rowLoss[r] = _targets[r] == IgnoreTarget ? 0f
                : CrossEntropy.Forward(_logits.AsSpan(r * _v, _v), _targets[r], out _lse[r]);
    }

    private void CrossEntropyFusedJob(int w)
    {
        var (s, e) = WorkerTeam.Share(_n, _team.Threads, w);
        float scale = 1f / Math.Max(1, _counted);
        for (int r = s; r < e; r++)
        {
            if (_targets[r] == IgnoreTarget)
            {
                _rowLoss[r] = 0f;
                _logits.AsSpan(r * _v, _v).Clear(); // no loss, no gradient
            }
            else _rowLoss[r] = CrossEntropy.ForwardBackward(_logits.AsSpan(r * _v, _v), _targets[r], scale, out _lse[r]);
        }
    }

    private void CrossEntropyBackwardJob(int w)
    {
        var (s, e) = WorkerTeam.Share(_n, _team.Threads, w);
        float scale = 1f / Math.Max(1, _counted);
        for (int r = s; r < e; r++)
        {
            if (_targets[r] == IgnoreTarget) _logits.AsSpan(r * _v, _v).Clear(); // no loss, no gradient
            else CrossEntropy.Backward(_logits.AsSpan(r * _v, _v), _targets[r], _lse[r], scale);
        }
    }
}
