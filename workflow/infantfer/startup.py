"""What a slow ``snakemake`` start is owed to, said in one line.

snakemake-executor-plugin-slurm runs ``scontrol show config`` as Snakemake loads it (to word a help
text), for any run, local ones too. Where SLURM is installed but no controller answers, scontrol
waits for its MessageTimeout: about 9 s added to every start, with nothing on screen to say why.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

SLOW_START_S = 6.0  # a start without the stall takes 1-3 s
# /proc's start time is the fork's: a snakemake that a shell exec'd as its last command, as in
# `( bash envs/install.sh && snakemake ... && snakemake --report ... )`, is as old as that shell
# (650 s measured). The stall is scontrol's MessageTimeout, about 10 s: far older starts are not it.
SLOW_START_MAX_S = 60.0


def process_age_s() -> float | None:
    """Seconds since this process started (Linux; None elsewhere)."""
    try:
        start_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def slurm_plugin_installed() -> bool:
    return importlib.util.find_spec("snakemake_executor_plugin_slurm") is not None


def slurm_stall_note(age_s: float | None, scontrol: str | None = None, plugin: bool | None = None) -> str | None:
    """The line to print when a start this slow is most likely the SLURM plugin's scontrol, else None:
    only with the plugin installed (it runs scontrol) and scontrol on PATH, and only for a start
    between SLOW_START_S and SLOW_START_MAX_S."""
    if age_s is None or not SLOW_START_S <= age_s <= SLOW_START_MAX_S:
        return None  # the usual quick start: nothing more is looked up
    scontrol = scontrol if scontrol is not None else shutil.which("scontrol")
    if not scontrol or not (plugin if plugin is not None else slurm_plugin_installed()):
        return None
    return (f"Snakemake took {age_s:.0f} s to start: snakemake-executor-plugin-slurm runs `scontrol show config` "
            f"as it loads, and no SLURM controller answers here ({scontrol}). To avoid it: start slurmctld, or where "
            f"this machine runs no SLURM jobs, `pip uninstall snakemake-executor-plugin-slurm` from this environment "
            f"(the README's test install adds it).")
