namespace ScalingLab.Cli.Commands;

/// <summary>`scalinglab memory radius`: nearest-neighbour distances of activations against 2r and a Gaussian null.</summary>
public static class MemoryRadiusCommand
{
    /// <summary>The `memory radius` sub-verb.</summary>
    public static Command Create()
    {
        var d = new RadiusOptions();
        var matrix = new Option<string>("--matrix") { Description = "activation vectors: raw little-endian float32 row-major (needs --dim) or float32 .npy" };
        var dim = new Option<int?>("--dim") { Description = "vector dimension n of a raw --matrix file" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "a checkpoint folder RUN/ckpt-N: take the vectors from the model's activations" };
        var shard = new Option<string>("--shard") { Description = "with --checkpoint: the data folder whose tokens are sampled" };
        var split = new Option<string>("--split") { Description = "with --checkpoint: which split of --shard to sample (the paper sampled training text)", DefaultValueFactory = _ => d.Split };
        var chunks = new Option<int>("--chunks") { Description = "with --checkpoint: random chunks drawn without replacement, one vector each (the paper: 80K)", DefaultValueFactory = _ => d.Chunks };
        var seqLen = new Option<int>("--seq-len") { Description = "with --checkpoint: tokens per chunk (the paper: 256; capped at n_ctx)", DefaultValueFactory = _ => d.SeqLen };
        var batch = new Option<int>("--batch") { Description = "with --checkpoint: chunks per forward pass", DefaultValueFactory = _ => d.Batch };
        var beforeNorm = new Option<bool>("--before-final-norm") { Description = "with --checkpoint: take the hidden state before the final LayerNorm (default: after, the vector feeding the LM head)" };
        var nullDraws = new Option<int>("--null-draws") { Description = "draws of the Gaussian null (same count, the sample's mean and covariance); 0 = none", DefaultValueFactory = _ => d.NullDraws };
        var outDir = SharedOptions.Out("folder for radius.json and radius_histogram.svg");
        var seed = new Option<ulong>("--seed") { Description = "seed of the chunk starts, the random subsets and the null draws", DefaultValueFactory = _ => d.Seed };
        var threads = SharedOptions.Threads("threads");
        var bins = new Option<int>("--bins") { Description = "histogram bins", DefaultValueFactory = _ => d.Bins };
        var gemm = SharedOptions.Gemm("for the distance blocks", d.Gemm);
        return Verb.Printing("radius",
            Verb.Help("Nearest-neighbour radius (Niu et al. §6.1 / App. F.1): each vector's exact Euclidean distance to its nearest\n" +
            "neighbour within random 25/50/75/100% subsets, against the predicted separation 2r, r = √(n/2πe), and against\n" +
            "a null: as many Gaussian vectors with the sample's mean and covariance (ratio < 0.95 = closer than chance).",
            "scalinglab memory radius --checkpoint runs/r1/ckpt-00001000 --shard data/tinyshakespeare --chunks 4096 --out radius",
            "scalinglab memory radius --matrix acts.f32 --dim 1024 --out radius",
            "scalinglab memory radius --matrix acts.npy --json"),
            [matrix, dim, checkpoint, shard, split, chunks, seqLen, batch, beforeNorm, nullDraws, outDir, seed, threads, bins, gemm], parse =>
        {
            var r = RadiusAnalysis.Run(new RadiusOptions
            {
                Matrix = parse.GetValue(matrix), Dim = parse.GetValue(dim), Checkpoint = parse.GetValue(checkpoint), Data = parse.GetValue(shard),
                Split = parse.GetValue(split)!, Chunks = parse.GetValue(chunks), SeqLen = parse.GetValue(seqLen), Batch = parse.GetValue(batch),
                BeforeFinalNorm = parse.GetValue(beforeNorm), NullDraws = parse.GetValue(nullDraws), OutDir = parse.GetValue(outDir),
                Seed = parse.GetValue(seed), Threads = parse.GetValue(threads), Bins = parse.GetValue(bins), Gemm = parse.GetValue(gemm)!,
                Log = parse.InvocationConfiguration.Error,
            });
            Verb.Print(parse, () => r.ToJson(), o => o.Write(r.Table()));
            if (r.Files.Count > 0) parse.InvocationConfiguration.Error.WriteLine($"wrote {string.Join(" and ", r.Files)}");
            return 0;
        }, json: "mean, median, count, mean_over2r, ratio_to_null, subsets, ...");
    }
}
