"""Tests for the ehrpriv command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ehrpriv.cli import main
from ehrpriv.synthea import TABLE_COLUMNS, generate_ehr, read_synthea, write_synthea

FILE_NAMES = sorted(f"{name}.csv" for name in (*TABLE_COLUMNS, "voter_roll"))
REPO_ROOT = Path(__file__).resolve().parents[1]


def run_module(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ehrpriv`` with ``args`` and capture its output."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "ehrpriv", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_data_generate_writes_seven_files_and_a_summary(tmp_path, capsys):
    """`ehrpriv data generate` writes the seven CSV files and prints a summary."""
    out = tmp_path / "export"
    status = main(
        ["data", "generate", "--patients", "200", "--seed", "3", "--out", str(out)]
    )
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == FILE_NAMES
    printed = capsys.readouterr()
    assert printed.err == ""
    assert printed.out.startswith(f"wrote 7 files to {out}: 200 patients, ")
    ehr = generate_ehr(n_patients=200, seed=3)
    assert f"{len(ehr.truth):,} admissions" in printed.out
    assert f"in-hospital mortality {ehr.truth['died'].mean():.1%}" in printed.out
    assert len(read_synthea(out)["patients"]) == 200


def test_data_generate_matches_the_api(tmp_path, capsys):
    """The command writes the same bytes as generate_ehr and write_synthea."""
    main(
        [
            "data",
            "generate",
            "--patients",
            "200",
            "--seed",
            "3",
            "--compress",
            "--out",
            str(tmp_path / "cli"),
        ]
    )
    capsys.readouterr()
    written = write_synthea(
        generate_ehr(n_patients=200, seed=3), tmp_path / "api", compress=True
    )
    for path in written:
        assert path.name.endswith(".csv.gz")
        assert (tmp_path / "cli" / path.name).read_bytes() == path.read_bytes()


def test_module_help_works(tmp_path):
    """`python -m ehrpriv --help` exits 0 and lists the data command."""
    result = run_module("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ehrpriv")
    assert "data" in result.stdout


def test_generate_help_lists_its_options(capsys):
    """`ehrpriv data generate --help` exits 0 and lists every option."""
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "generate", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--patients", "--seed", "--out", "--compress"):
        assert option in out


def test_bad_patient_count_exits_2_naming_the_parameter(tmp_path, capsys):
    """--patients 0 returns 2 with an error naming n_patients and writes nothing."""
    out = tmp_path / "never"
    status = main(["data", "generate", "--patients", "0", "--out", str(out)])
    assert status == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith("ehrpriv data: error: n_patients must be ")
    assert "got 0." in printed.err
    assert not out.exists()


def test_bad_seed_exits_2_naming_the_parameter(tmp_path, capsys):
    """--seed -1 returns status 2 with an error naming the seed."""
    status = main(
        ["data", "generate", "--patients", "50", "--seed", "-1", "--out", str(tmp_path)]
    )
    assert status == 2
    assert "seed must be an integer >= 0; got -1." in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data", "generate", "--patients", "many", "--out", "x"], "--patients"),
        (["data", "generate", "--patients", "100"], "--out"),
        (["data"], "ACTION"),
        ([], "COMMAND"),
    ],
)
def test_unparsable_arguments_exit_2(argv, message, capsys):
    """Arguments argparse cannot read exit with status 2 and a usage message."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err


def test_module_exit_status_is_2_on_a_bad_argument(tmp_path):
    """`python -m ehrpriv data generate --patients 0` exits 2 with its message."""
    result = run_module(
        "data", "generate", "--patients", "0", "--out", "x", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "n_patients" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()
