"""infantfer.logs: a job's log says why the job failed."""
from __future__ import annotations

import subprocess
import sys


def test_an_uncaught_error_is_written_to_the_job_s_log(tmp_path):
    log = tmp_path / "logs" / "split" / "r0.log"
    script = ("from infantfer.logs import setup_logging\n"
              f"log = setup_logging({str(log)!r})\n"
              "log.info('started')\n"
              "raise ValueError('class cry has 2 babies for 5 folds')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    text = log.read_text()
    assert "started" in text
    assert "ERROR infantfer: job failed: ValueError: class cry has 2 babies for 5 folds" in text
    assert "Traceback (most recent call last)" in text  # where it failed, too
    assert result.stderr.count("Traceback") == 1  # stderr keeps Python's own report, once


def test_a_job_that_succeeds_logs_no_error(tmp_path):
    log = tmp_path / "ok.log"
    script = f"from infantfer.logs import setup_logging\nsetup_logging({str(log)!r}).info('done')\n"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert "ERROR" not in log.read_text()
