using System.Text;

namespace ScalingLab.Sweeps;

/// <summary>
/// A Slurm job-array script whose tasks each run `scalinglab sweep work` against the sweep's shared registry:
/// every task drains runs until none is pending, so the array size is the number of concurrent workers, not of runs.
/// </summary>
public static class SlurmScript
{
    /// <summary>The script text.</summary>
    /// <param name="sweep">The sweep (its folder must be on a file system every node sees).</param>
    /// <param name="registry">The registry the tasks use (PostgreSQL across machines).</param>
    /// <param name="tasks">Array size (concurrent workers).</param>
    /// <param name="cpusPerTask">CPUs per task (= threads per run).</param>
    /// <param name="time">Slurm time limit per task (HH:MM:SS).</param>
    /// <param name="scalinglab">The command that runs ScalingLab on the nodes.</param>
    /// <param name="partition">Optional partition.</param>
    /// <param name="signalSeconds">How long before the time limit Slurm sends SIGTERM, so the worker can checkpoint
    /// its run and put it back in the queue (a step plus a checkpoint must fit in it).</param>
    public static string Build(SweepFolder sweep, string registry, int tasks, int cpusPerTask, string time,
                               string scalinglab, string? partition = null, int signalSeconds = 120)
    {
        var sb = new StringBuilder();
        sb.Append("#!/bin/bash\n");
        sb.Append($"# Slurm job array for ScalingLab sweep '{sweep.Name}' ({sweep.Dir}).\n");
        sb.Append("# Each task is one worker: it claims pending runs from the shared registry until none is left.\n");
        sb.Append("# Submit with: sbatch THIS_FILE   Watch with: scalinglab sweep status SWEEP_DIR\n");
        sb.Append($"#SBATCH --job-name=scalinglab-{sweep.Name}\n");
        sb.Append($"#SBATCH --array=0-{tasks - 1}\n");
        sb.Append("#SBATCH --ntasks=1\n");
        sb.Append($"#SBATCH --cpus-per-task={cpusPerTask}\n");
        sb.Append($"#SBATCH --time={time}\n");
        if (partition is not null) sb.Append($"#SBATCH --partition={partition}\n");
        // Preemption: SIGTERM to the worker (the batch shell execs it) ahead of the time limit; the worker checkpoints at
        // the next step boundary and re-queues its run. A task killed by a node failure or preempted is re-queued too.
        sb.Append($"#SBATCH --signal=B:TERM@{signalSeconds}\n");
        sb.Append("#SBATCH --requeue\n");
        sb.Append("#SBATCH --open-mode=append\n");
        sb.Append($"#SBATCH --output={Path.Combine(sweep.Dir, "logs", "slurm-%A_%a.out")}\n");
        sb.Append("set -euo pipefail\n");
        if (RunRegistry.IsPostgres(registry))
            sb.Append("# The password, if any, is best given through PGPASSWORD or ~/.pgpass rather than in this file.\n");
        else
            sb.Append("# SQLite registry: works only where every node sees the file with working POSIX locks; prefer PostgreSQL.\n");
        sb.Append($"export SCALINGLAB_REGISTRY={Quote(registry)}\n");
        sb.Append($"exec {scalinglab} sweep work --registry \"$SCALINGLAB_REGISTRY\" --sweep {Quote(sweep.Name)} \\\n");
        sb.Append("  --worker-tag \"slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n");
        return sb.ToString();
    }

    /// <summary>Single-quotes a value for bash.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
