using System.Diagnostics;
using System.Numerics.Tensors;
using ScalingLab.Common;
using ScalingLab.Data;
using ScalingLab.Model;
using ScalingLab.Tensors;

namespace ScalingLab.Training;

/// <summary>What one training step reports to the caller (for a progress line).</summary>
public sealed record StepReport(long Step, long TotalSteps, long Tokens, double TrainLoss, double? ValLoss, double Lr,
                                double GradNorm, double TokensPerS, TimeSpan Elapsed, TimeSpan Eta, string? Checkpoint,
                                double? TrainEvalLoss = null);

/// <summary>How a call to <see cref="Trainer.Run"/> ended.</summary>
/// <remarks>
/// <see cref="BeatUnigramStep"/> and <see cref="BeatUnigramSeconds"/>: the first evaluation whose val loss fell below
/// the unigram model's, and the training wall time to it (null if none did). <see cref="FinalTrainLoss"/> and
/// <see cref="MinTrainLoss"/>: the loss on the fixed training windows (the training loss Niu et al. quote), at the last
/// evaluation and at its lowest.
/// </remarks>
public sealed record TrainResult(long Step, long TotalSteps, long Tokens, double? MinValLoss, long? MinValStep,
                                 double? FinalValLoss, double UnigramEntropy, double UnigramValLoss, bool Completed,
                                 long? BeatUnigramStep = null, double? BeatUnigramSeconds = null,
                                 double? FinalTrainLoss = null, double? MinTrainLoss = null, long? MinTrainStep = null,
                                 bool Preempted = false);

/// <summary>
/// Trains a <see cref="TransformerLm"/> in a run folder: AdamW with warmup + cosine, global-norm clipping, gradient
/// accumulation, windows without replacement (stream grid or document-aligned, <see cref="WindowLayout"/>), a fixed
/// validation set evaluated every k steps (the minimum and its step recorded, Kaplan-style early stopping) beside the
/// same number of fixed training windows (the training loss), metrics.jsonl, and checkpoints on the Pythia schedule. Everything a
/// step depends on is in the checkpoint, so <see cref="Resume"/> continues bit-identically (same seed and threads).
/// A NaN/Inf loss or gradient stops the run before the update, marks it failed (RUN/FAILED) and keeps the last good
/// checkpoint.
/// </summary>
public sealed class Trainer
{
    /// <summary>The file whose presence marks a run as failed; it holds the reason.</summary>
    public const string FailedFile = "FAILED";

    private readonly string _runDir;
    private readonly RunFolder _run;
    private readonly TrainConfig _cfg;
    private readonly ITokenSequence _train, _val;
    private readonly ITokenizer? _tokenizer;
    private readonly WindowSampler _sampler;
    private readonly WindowLayout _valLayout;
    private readonly int[] _evalWindows, _trainEvalWindows;
    private readonly LrSchedule _schedule;
    private readonly CheckpointSchedule _ckpts;
    private readonly int[] _inputs, _targets, _window;
    private long _step, _tokens;
    private double? _minVal;
    private long? _minValStep;
    private double? _lastVal, _lastTrain, _minTrain;
    private long? _minTrainStep;
    private long? _beatStep;
    private double? _beatSeconds;
    private readonly double _unigramEntropy, _unigramVal;
    private readonly Stopwatch _clock = new();
    private double _elapsedBefore;
    private string? _lastCheckpoint;

    /// <summary>The model being trained.</summary>
    public TransformerLm Model { get; }
    /// <summary>Its optimizer.</summary>
    public AdamW Optimizer { get; }
    /// <summary>The resolved training config (as in train.json).</summary>
    public TrainConfig Config => _cfg;
    /// <summary>Updates taken.</summary>
    public long Step => _step;

    private Trainer(string runDir, ModelConfig model, TrainConfig cfg, ITokenSequence train, ITokenSequence val, IGemm gemm)
    {
        if (train.VocabSize > model.VocabSize || val.VocabSize > model.VocabSize)
            throw new UserError($"train: the data's vocabulary ({Math.Max(train.VocabSize, val.VocabSize)}) is larger than the model's ({model.VocabSize})");
        if (cfg.Seq > model.NCtx) throw UserError.ForSetting("train", "seq", $"{cfg.Seq} exceeds the model's context n_ctx {model.NCtx}");
        _runDir = runDir;
        _run = new RunFolder(runDir);
        _cfg = cfg;
        _train = train;
        _val = val;
        // Checkpoints carry the data's tokenizer, so each is a complete Hugging Face folder.
        string? tokPath = cfg.Data is { } dataDir ? Path.Combine(dataDir, "tokenizer.json") : null;
        _tokenizer = tokPath is not null && File.Exists(tokPath) ? TokenizerFile.Load(tokPath) : null;
        Model = new TransformerLm(model, cfg.Batch, cfg.Seq, gemm, cfg.Threads);
        Optimizer = new AdamW(Model.Parameters.Length, Model.Params.Select(p => (p.Offset, p.Length, p.Decay)),
                              cfg.Beta1, cfg.Beta2, cfg.Eps, cfg.WeightDecay, cfg.Threads);
        _sampler = WindowSampler.For(train, cfg);
        _valLayout = WindowLayout.For(val, cfg, "validation");
        _evalWindows = _valLayout.EvalWindows(cfg.EvalWindows);
        _trainEvalWindows = _sampler.Layout.EvalWindows(cfg.EvalWindows);
        long total = cfg.TotalSteps;
        _schedule = new LrSchedule(cfg.Lr, cfg.Lr * cfg.MinLrRatio, cfg.Warmup, total);
        _ckpts = new CheckpointSchedule(cfg.CkptLogUntil, cfg.CkptEvery, total);
        _inputs = new int[cfg.Batch * cfg.Seq];
        _targets = new int[cfg.Batch * cfg.Seq];
        _window = new int[cfg.Seq + 1];
        var counts = UnigramBaseline.Counts(train);
        _unigramEntropy = UnigramBaseline.Entropy(counts);
        _unigramVal = UnigramBaseline.CrossEntropy(counts, val);
    }

    /// <summary>
    /// Prepares a fresh run in <paramref name="runDir"/>: writes config.json and train.json. A folder that already holds
    /// a run is refused — with a different config unless <paramref name="force"/>, with the same one unless
    /// <paramref name="force"/> (start over) or resume is asked for instead.
    /// </summary>
    public static Trainer Start(string runDir, ModelConfig model, TrainConfig config, ITokenSequence train, ITokenSequence val,
                                IGemm gemm, bool force = false)
    {
        model.Validate();
        config = config.Resolve();
        var run = new RunFolder(runDir);
        string cfgPath = run.ConfigPath, trainPath = run.TrainPath;
        bool holdsRun = File.Exists(cfgPath) || File.Exists(trainPath) || Checkpoints.Folders(runDir).Count > 0;
        if (holdsRun && !force)
        {
            bool same = File.Exists(cfgPath) && File.Exists(trainPath)
                        && File.ReadAllText(cfgPath) == model.ToJson() && File.ReadAllText(trainPath) == config.ToJson();
            if (!same)
                throw new UserError($"train: {runDir} holds a run with a different config; pass --force to overwrite it, or choose another --out");
            throw new UserError($"train: {runDir} already holds this run; pass --resume {runDir} to continue it, or --force to start over");
        }
        if (holdsRun)
        {
            foreach (var (_, path) in Checkpoints.Folders(runDir)) Directory.Delete(path, recursive: true);
            foreach (string f in new[] { run.MetricsPath, run.FailedPath, run.SummaryPath })
                if (File.Exists(f)) File.Delete(f);
        }
        Directory.CreateDirectory(runDir);
        AtomicFile.WriteAllText(cfgPath, model.ToJson());
        AtomicFile.WriteAllText(trainPath, config.ToJson());
        AtomicFile.WriteAllText(run.MetricsPath, "");
        var t = new Trainer(runDir, model, config, train, val, gemm);
        t.Model.InitializeWeights(config.Seed);
        return t;
    }

    /// <summary>Reads config.json and train.json of <paramref name="runDir"/> (for resume and for finding the data).</summary>
    public static (ModelConfig Model, TrainConfig Train) ReadRunConfig(string runDir) => new RunFolder(runDir).ReadConfig();

    /// <summary>
    /// Continues the run in <paramref name="runDir"/> from its newest intact checkpoint: weights, AdamW moments,
    /// step, data position; metrics rows after that step are dropped so none is lost or duplicated. A checkpoint whose
    /// files do not match its manifest, or that does not load (truncated, garbage, missing files), is skipped with a
    /// one-line warning in favour of the one before; when none is intact the run starts again from step 0 and says so.
    /// </summary>
    public static Trainer Resume(string runDir, ITokenSequence train, ITokenSequence val, IGemm gemm, Action<string>? warn = null)
    {
        warn ??= _ => { };
        var (model, config) = ReadRunConfig(runDir);
        var folders = Checkpoints.Folders(runDir);
        if (folders.Count == 0) throw new UserError($"train: {runDir} has no complete checkpoint to resume from; start it again with --force");
        var t = new Trainer(runDir, model, config.Resolve(), train, val, gemm);
        for (int i = folders.Count - 1; i >= 0; i--)
        {
            var (step, ckpt) = folders[i];
            string? bad = CheckpointManifest.Verify(ckpt, out _);
            if (bad is null)
            {
                try
                {
                    t.Restore(step, ckpt);
                    return t;
                }
                catch (Exception e) when (e is UserError or IOException or ArgumentException)
                {
                    bad = e.Message;
                }
            }
            string next = i > 0 ? $"trying {Path.GetFileName(folders[i - 1].Path)}" : "no intact checkpoint is left";
            warn($"train: warning: skipping {ckpt}: {bad.Split('\n')[0]}; {next}");
        }
        warn($"train: warning: {runDir} has no intact checkpoint; starting the run again from step 0");
        return Start(runDir, model, config, train, val, gemm, force: true);
    }

    private void Restore(long step, string ckpt)
    {
        Checkpoints.LoadWeights(ckpt, Model);
        Checkpoints.LoadOptimizer(ckpt, Model.Params, Optimizer);
        var state = Checkpoints.LoadState(ckpt);
        if (state.Step != step) throw new UserError($"train: {ckpt}/trainer_state.json says step {state.Step}, the folder name says {step}");
        _step = state.Step;
        _tokens = state.Tokens;
        Optimizer.Step = state.AdamStep;
        _sampler.Seek(state.DataEpoch, state.DataIndex);
        _minVal = state.MinValLoss;
        _minValStep = state.MinValStep;
        _lastVal = state.LastValLoss;
        _lastTrain = state.LastTrainLoss;
        _minTrain = state.MinTrainLoss;
        _minTrainStep = state.MinTrainStep;
        _beatStep = state.BeatUnigramStep;
        _beatSeconds = state.BeatUnigramSeconds;
        _elapsedBefore = state.ElapsedSeconds;
        _lastCheckpoint = ckpt;
        MetricsLog.TruncateAfter(_run.MetricsPath, step);
        if (File.Exists(_run.FailedPath)) File.Delete(_run.FailedPath);
    }

    /// <summary>
    /// Trains until the end of the schedule, or until <paramref name="stopAfterStep"/> updates (as if the process were
    /// killed there; used by the resume tests), or until <paramref name="cancel"/> fires (throws, saves nothing), or
    /// until <paramref name="preempt"/> fires: then the step in flight finishes, a checkpoint of it is saved (unless the
    /// schedule just saved one) and the result says <see cref="TrainResult.Preempted"/>; <see cref="Resume"/> continues
    /// from there bit-identically.
    /// </summary>
    public TrainResult Run(Action<StepReport>? onStep = null, long stopAfterStep = long.MaxValue, CancellationToken cancel = default,
                           CancellationToken preempt = default)
    {
        long total = _cfg.TotalSteps;
        using var metrics = new MetricsLog(_run.MetricsPath);
        var clock = _clock;
        clock.Restart();
        long firstStep = _step;

        if (_step == 0 && _lastCheckpoint is null)
        {
            // Step 0: the initial weights, evaluated and saved (Pythia keeps step 0).
            double v0 = Evaluate();
            RecordVal(v0, 0);
            double tr0 = EvaluateTrain();
            RecordTrain(tr0, 0);
            metrics.Append(new MetricsRow { Step = 0, Tokens = 0, ValLoss = v0, TrainEvalLoss = tr0 });
            _lastCheckpoint = SaveCheckpoint(0);
        }

        bool preempted = false;
        while (_step < total && _step < stopAfterStep)
        {
            cancel.ThrowIfCancellationRequested();
            if (preempt.IsCancellationRequested)
            {
                // A step boundary: everything the next step depends on is in this checkpoint.
                if (_lastCheckpoint is null || Path.GetFileName(_lastCheckpoint) != Checkpoints.DirName(_step))
                    _lastCheckpoint = SaveCheckpoint(_step, _step > 0 ? _schedule.At(_step - 1) : 0, clock.Elapsed.TotalSeconds);
                preempted = true;
                break;
            }
            long t0 = Stopwatch.GetTimestamp();
            double lr = _schedule.At(_step);

            Model.ZeroGradients();
            double lossSum = 0;
            double? firstNorm = null;
            for (int a = 0; a < _cfg.Accum; a++)
            {
                _sampler.Next(_cfg.Batch, _inputs, _targets);
                lossSum += Model.ForwardBackward(_inputs, _targets, _cfg.Batch);
                // With accumulation, the first micro-batch alone is a smaller batch: its gradient norm beside the full
                // one gives the gradient noise scale (Training.GradientNoiseScale).
                if (a == 0 && _cfg.Accum > 1) firstNorm = GlobalNorm(Model.Gradients, Model.Team);
            }
            double trainLoss = lossSum / _cfg.Accum;
            // The gradient of the mean loss over micro-batches is the sum divided by the count.
            double gradNorm = GlobalNorm(Model.Gradients, Model.Team) / _cfg.Accum;
            if (!double.IsFinite(trainLoss) || !double.IsFinite(gradNorm))
                Fail(_step + 1, !double.IsFinite(trainLoss) ? $"training loss is {trainLoss}" : $"gradient norm is {gradNorm}");
            double clip = ClipScale(gradNorm, _cfg.GradClip);
            Optimizer.Update(Model.Parameters, Model.Gradients, (float)lr, (float)(clip / _cfg.Accum), Model.Team);
            _step++;
            _tokens += _cfg.TokensPerStep;
            double stepSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;

            double? val = null, trainEval = null;
            if (_step % _cfg.EvalEvery == 0 || _step == total)
            {
                val = Evaluate();
                if (!double.IsFinite(val.Value)) Fail(_step, $"validation loss is {val.Value}");
                RecordVal(val.Value, _step);
                trainEval = EvaluateTrain();
                RecordTrain(trainEval.Value, _step);
            }
            double tps = _cfg.TokensPerStep / Math.Max(stepSeconds, 1e-9);
            metrics.Append(new MetricsRow
            {
                Step = _step, Tokens = _tokens, TrainLoss = trainLoss, ValLoss = val, Lr = lr, GradNorm = gradNorm, TokensPerS = tps,
                TrainEvalLoss = trainEval,
                GradNormMicro = firstNorm,
            });
            string? saved = null;
            if (_ckpts.IsCheckpoint(_step)) saved = _lastCheckpoint = SaveCheckpoint(_step, lr, clock.Elapsed.TotalSeconds);

            if (onStep is not null)
            {
                var elapsed = clock.Elapsed;
                double perStep = elapsed.TotalSeconds / Math.Max(1, _step - firstStep);
                onStep(new StepReport(_step, total, _tokens, trainLoss, val, lr, gradNorm, tps, elapsed,
                                      TimeSpan.FromSeconds(perStep * (total - _step)), saved, trainEval));
            }
        }

        bool completed = _step >= total;
        var result = new TrainResult(_step, total, _tokens, _minVal, _minValStep, _lastVal,
                                     _unigramEntropy, _unigramVal, completed, _beatStep, _beatSeconds,
                                     _lastTrain, _minTrain, _minTrainStep, preempted);
        if (completed) WriteSummary(result, clock.Elapsed.TotalSeconds);
        return result;
    }

    /// <summary>
    /// Mean validation loss per predicted token over the fixed evaluation windows, in batches of the training batch
    /// size (every target of the stream grid; the whole documents of aligned windows).
    /// </summary>
    public double Evaluate() => MeanLoss(_val, _valLayout, _evalWindows);

    /// <summary>
    /// The training loss: mean loss per predicted token over a fixed set of training windows (as many as the
    /// validation set, spread evenly over the training split), with the current weights and no update.
    /// </summary>
    public double EvaluateTrain() => MeanLoss(_train, _sampler.Layout, _trainEvalWindows);

    private double MeanLoss(ITokenSequence tokens, WindowLayout layout, int[] windows)
    {
        int b = _cfg.Batch, t = _cfg.Seq;
        double sum = 0;
        long count = 0;
        for (int i = 0; i < windows.Length; i += b)
        {
            int n = Math.Min(b, windows.Length - i);
            int predicted = 0;
            for (int j = 0; j < n; j++)
            {
                layout.Read(tokens, windows[i + j], _window, _inputs.AsSpan(j * t, t), _targets.AsSpan(j * t, t));
                predicted += layout.Targets(windows[i + j]);
            }
            sum += (double)Model.Forward(_inputs.AsSpan(0, n * t), _targets.AsSpan(0, n * t), n) * predicted;
            count += predicted;
        }
        return count == 0 ? 0 : sum / count;
    }

    /// <summary>
    /// One update on one micro-batch, as <see cref="Run"/> takes it without accumulation: zero the gradients, forward,
    /// backward, global norm, clip to <paramref name="gradClip"/>, AdamW at <paramref name="lr"/>. Returns the loss and
    /// the gradient norm (benches time exactly this).
    /// </summary>
    public static (double Loss, double GradNorm) TrainStep(TransformerLm model, AdamW optimizer, ReadOnlySpan<int> inputs,
                                                           ReadOnlySpan<int> targets, int batch, float lr, double gradClip)
    {
        model.ZeroGradients();
        double loss = model.ForwardBackward(inputs, targets, batch);
        double norm = GlobalNorm(model.Gradients, model.Team);
        optimizer.Update(model.Parameters, model.Gradients, lr, (float)ClipScale(norm, gradClip), model.Team);
        return (loss, norm);
    }

    /// <summary>‖g‖₂ in float64 over fixed chunks, so the value does not depend on threads or scheduling.</summary>
    public static double GlobalNorm(ReadOnlySpan<float> g)
    {
        double sum = 0;
        for (int c = 0; c < (g.Length + NormChunk - 1) / NormChunk; c++) sum += ChunkSumOfSquares(g, c);
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// <see cref="GlobalNorm(ReadOnlySpan{float})"/> on every thread of <paramref name="team"/>: each worker sums the
    /// squares of its share of the fixed chunks, and the chunk sums are added in chunk order — the same bits.
    /// </summary>
    public static double GlobalNorm(float[] g, WorkerTeam team)
    {
        int chunks = (g.Length + NormChunk - 1) / NormChunk;
        var partial = s_normPartials is { } pa && pa.Length >= chunks ? pa : s_normPartials = new double[chunks];
        team.Run(w =>
        {
            var (s, e) = WorkerTeam.Share(chunks, team.Threads, w);
            for (int c = s; c < e; c++) partial[c] = ChunkSumOfSquares(g, c);
        }, g.Length);
        double sum = 0;
        for (int c = 0; c < chunks; c++) sum += partial[c];
        return Math.Sqrt(sum);
    }

    private const int NormChunk = 4096;

    [ThreadStatic] private static double[]? s_normPartials;

    private static double ChunkSumOfSquares(ReadOnlySpan<float> g, int chunk)
    {
        int start = chunk * NormChunk;
        return TensorPrimitives.SumOfSquares(g.Slice(start, Math.Min(NormChunk, g.Length - start)));
    }

    /// <summary>The factor that brings a gradient of norm <paramref name="norm"/> down to <paramref name="maxNorm"/> (1 when within it, or when maxNorm is 0).</summary>
    public static double ClipScale(double norm, double maxNorm) => maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1.0;

    private void RecordVal(double val, long step)
    {
        _lastVal = val;
        if (_beatStep is null && val < _unigramVal)
        {
            _beatStep = step;
            _beatSeconds = _elapsedBefore + _clock.Elapsed.TotalSeconds;
        }
        if (_minVal is null || val < _minVal) { _minVal = val; _minValStep = step; }
    }

    private void RecordTrain(double loss, long step)
    {
        _lastTrain = loss;
        if (_minTrain is null || loss < _minTrain) { _minTrain = loss; _minTrainStep = step; }
    }

    private string SaveCheckpoint(long step, double lr = 0, double elapsed = 0)
    {
        var rng = _sampler.EpochRng;
        var state = new TrainerState
        {
            Step = step, Tokens = _tokens, DataEpoch = _sampler.Epoch, DataIndex = _sampler.Index,
            RngKey = rng.Key, RngCounter = rng.Counter, Lr = lr, WarmupSteps = _cfg.Warmup, TotalSteps = _cfg.TotalSteps,
            AdamStep = Optimizer.Step, MinValLoss = _minVal, MinValStep = _minValStep, LastValLoss = _lastVal,
            LastTrainLoss = _lastTrain, MinTrainLoss = _minTrain, MinTrainStep = _minTrainStep, BeatUnigramStep = _beatStep, BeatUnigramSeconds = _beatSeconds, ElapsedSeconds = _elapsedBefore + elapsed,
        };
        return Checkpoints.Save(_runDir, step, Model, Optimizer, state, _tokenizer);
    }

    private void Fail(long step, string what)
    {
        string keep = _lastCheckpoint is null ? "no checkpoint was saved" : $"the last good checkpoint is {Path.GetFileName(_lastCheckpoint)}";
        string message = $"train: step {step}: {what}; stopped, {keep}; run marked failed ({Path.Combine(_runDir, FailedFile)}). Try a lower --lr";
        AtomicFile.WriteAllText(_run.FailedPath, message + "\n");
        throw new UserError(message);
    }

    private void WriteSummary(TrainResult r, double elapsed) =>
        _run.WriteSummary(RunSummary.Of(r, Model.Config, _cfg.Windows, _elapsedBefore + elapsed));
}
