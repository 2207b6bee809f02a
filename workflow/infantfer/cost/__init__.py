"""What a run will cost, before it starts; and what it cost, after.

Before: the jobs Snakemake plans (missing or out-of-date outputs only) are costed one by one and
summed per dataset: a GAN job is its steps times this machine's measured step time
(:mod:`infantfer.step_time`) plus its start and checkpoints; every other job is a fixed start plus
a term in the images and pixels it handles (:data:`JOB_MODEL`, fitted to the jobs' times of two
runs here, checked on a third: ``docs/benchmarks.md``). The wall time on N cores is the larger of
the summed job time over N and the longest chain of dependent jobs, plus Snakemake's own time per
job. On a GPU, a GAN step takes :data:`GPU_STEP_S`.

A local run without a GPU whose estimate exceeds ``plan.max_hours`` stops before any job, with
what each usual setting would save (:func:`budget_message`). A SLURM run prints its estimate per
job kind and never stops; ``-n`` prints and never stops.

After: :func:`measured_table` joins the rules' ``benchmark:`` files (wall time, CPU time, peak
memory) to the estimate, per stage (``results/<dataset>/cost.tsv``, a page of the report).
"""

from .measured import BENCHMARK_COLUMNS, estimated_by_stage, job_of_benchmark, measured_table, read_benchmark
from .model import (CHECKPOINT_S, GAN_RULES, GAN_START_S, GPU_JOB_START_S, GPU_STEP_S, JOB_MODEL, OTHER_JOB_S,
                    SNAKEMAKE_PER_JOB_S, DatasetCost, DatasetFacts, Estimate, Job, _checkpoints, classifier_fits,
                    estimate, job_seconds, modelled_cpu_step_s)
from .plan import (OverBudget, Saving, announce, budget_message, cost_lines, cpu_hours, hours, savings, scaled_step,
                   slurm_lines)
