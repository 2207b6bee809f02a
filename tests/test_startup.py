"""The one line that explains a slow start (issue P): the SLURM plugin's scontrol where no controller answers."""
from __future__ import annotations

import pytest

from infantfer.startup import process_age_s, slurm_stall_note


def test_a_slow_start_with_scontrol_installed_is_explained_with_a_fix():
    note = slurm_stall_note(10.4, scontrol="/usr/bin/scontrol", plugin=True)
    assert note.startswith("Snakemake took 10 s to start: snakemake-executor-plugin-slurm runs `scontrol show config`")
    assert "start slurmctld" in note and "pip uninstall snakemake-executor-plugin-slurm" in note
    assert "\n" not in note


@pytest.mark.parametrize("age,scontrol,plugin", [
    (2.0, "/usr/bin/scontrol", True),  # a quick start
    (10.4, "", True),  # no scontrol on PATH
    (None, "/usr/bin/scontrol", True),  # no /proc
    (10.4, "/usr/bin/scontrol", False),  # no plugin, so nobody ran scontrol (the README's first install)
    (650.0, "/usr/bin/scontrol", True),  # exec'd by a shell that ran the demo first: its age, not a stall
])
def test_nothing_is_said_of_a_quick_start_or_without_slurm(age, scontrol, plugin):
    assert slurm_stall_note(age, scontrol=scontrol, plugin=plugin) is None


def test_this_process_s_age_is_measured():
    age = process_age_s()
    if age is None:
        pytest.skip("no /proc here")
    assert 0 < age < 24 * 3600
