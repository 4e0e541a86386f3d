"""Print timing and memory tables for the lesson notebooks and the data generator.

Run from anywhere, with the kit installed (see ``benchmarks/README.md``)::

    python benchmarks/run_benchmarks.py
    python benchmarks/run_benchmarks.py --skip-generator --notebooks "solutions/*.ipynb"
    python benchmarks/run_benchmarks.py --skip-notebooks --sizes 10000 100000

The script measures and prints; it never fails on a result. Rows over a budget of
the course design are marked ``OVER`` and the exit status stays 0. Notebooks are
executed in memory and never written back to disk.
"""

from __future__ import annotations

import argparse
import gc
import glob
import importlib.metadata
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

#: The repository root: default notebook patterns are relative to it.
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Notebooks benchmarked when ``--notebooks`` is not given.
DEFAULT_NOTEBOOKS = ("notebooks/*.ipynb", "solutions/*.ipynb")

#: Budgets: one notebook in a fresh kernel on 2 CPU cores, and the generator.
NOTEBOOK_SECONDS = 90.0
NOTEBOOK_MEGABYTES = 1500.0  # 1.5 GB, decimal: 1 MB = 10**6 bytes throughout
GENERATOR_SECONDS = 60.0
GENERATOR_BUDGET_PATIENTS = 100_000

#: Execution settings: the kernel, the per-cell time limit and the default sizes.
KERNEL_NAME = "python3"
CELL_TIMEOUT_SECONDS = 600
DEFAULT_SIZES = (10_000, 100_000)
DEFAULT_CPUS = 2

#: Packages whose versions head the report.
REPORTED_PACKAGES = ("numpy", "pandas", "torch", "nbclient", "ehrpriv")


@dataclass
class NotebookRun:
    """What one notebook run measured."""

    wall_seconds: float
    cpu_seconds: float
    peak_rss_bytes: int
    error: str | None
    error_outputs: int


# --------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------
def markdown_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: str
) -> str:
    """Return ``rows`` as a markdown table; ``align`` has an ``l`` or ``r`` a column."""
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(headers, *rows, strict=True)
    ]
    widths = [max(width, 3) for width in widths]

    def line(cells: Sequence[str]) -> str:
        """Return one padded table row."""
        padded = [
            str(cell).rjust(width) if side == "r" else str(cell).ljust(width)
            for cell, width, side in zip(cells, widths, align, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = [
        "-" * (width - 1) + ":" if side == "r" else "-" * width
        for width, side in zip(widths, align, strict=True)
    ]
    return "\n".join([line(headers), line(rule), *(line(row) for row in rows)])


def verdict(value: float, budget: float) -> str:
    """Return ``ok`` when ``value`` is within ``budget``, else ``OVER``."""
    return "ok" if value <= budget else "OVER"


def display_path(path: Path) -> str:
    """Return ``path`` relative to the repository root when it lies inside it."""
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def progress(message: str) -> None:
    """Print a progress line on stderr, keeping stdout for the tables."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------
# machine
# --------------------------------------------------------------------------------
def total_memory_bytes() -> int | None:
    """Return the machine's total physical memory in bytes, or None if unknown."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def cpu_model() -> str:
    """Return the CPU model name from ``/proc/cpuinfo``, or the platform's guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for entry in handle:
                if entry.startswith("model name"):
                    return entry.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(name: str) -> str:
    """Return the installed version of ``name``, or ``not installed``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    """Return the repository's ``git describe`` (with ``-dirty``), or ``unknown``."""
    try:
        completed = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return completed.stdout.strip() or "unknown"


def machine_rows(cpus: list[int] | None) -> list[list[str]]:
    """Return the rows describing the machine, the interpreter and the packages."""
    memory = total_memory_bytes()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    rows = [
        ["date (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")],
        ["platform", platform.platform()],
        ["CPU", cpu_model()],
        ["CPU count", f"{os.cpu_count()} logical, {usable or '?'} usable"],
        ["pinned to CPUs", ",".join(map(str, cpus)) if cpus else "no pinning"],
        ["total memory", f"{memory / 1e9:.1f} GB" if memory else "unknown"],
        ["load average (1, 5 min)", load_average()],
        ["Python", f"{platform.python_implementation()} {platform.python_version()}"],
    ]
    rows += [[name, package_version(name)] for name in REPORTED_PACKAGES]
    rows.append(["git", git_revision()])
    return rows


def load_average() -> str:
    """Return the 1- and 5-minute load averages: other work skews the timings."""
    try:
        one, five, _ = os.getloadavg()
    except (OSError, AttributeError):
        return "unknown"
    return f"{one:.2f}, {five:.2f}"


def pin_cpus(count: int) -> list[int] | None:
    """Restrict this process (and every child it starts) to ``count`` CPUs."""
    if count <= 0 or not hasattr(os, "sched_setaffinity"):
        return None
    chosen = sorted(os.sched_getaffinity(0))[:count]
    os.sched_setaffinity(0, chosen)
    return chosen


# --------------------------------------------------------------------------------
# notebooks
# --------------------------------------------------------------------------------
def find_notebooks(patterns: Sequence[str], root: Path) -> list[Path]:
    """Return the notebooks matching ``patterns``, relative ones taken from ``root``."""
    found: dict[Path, None] = {}
    for pattern in patterns:
        anchored = pattern if Path(pattern).is_absolute() else str(root / pattern)
        for match in sorted(glob.glob(anchored)):
            path = Path(match).resolve()
            if path.suffix == ".ipynb" and ".ipynb_checkpoints" not in path.parts:
                found[path] = None
    return list(found)


def is_exercise(path: Path) -> bool:
    """Return whether ``path`` is an exercise notebook (its cells may raise)."""
    return path.parent.name == "exercises" or path.stem.endswith("_exercises")


def reap_children() -> None:
    """Wait for any exited child left unwaited, so ``RUSAGE_CHILDREN`` counts it."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def max_rss_bytes(usage: resource.struct_rusage) -> int:
    """Return ``ru_maxrss`` in bytes (Linux reports KiB, macOS bytes)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return int(usage.ru_maxrss) * scale


def execute_here(path: Path, allow_errors: bool) -> NotebookRun:
    """Execute ``path`` in a fresh kernel started by this process and measure it.

    Only meant to run in the worker process that :func:`run_notebook` starts: the
    kernel is then this process's only child, so after it has exited (nbclient
    shuts it down and waits for it), ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is
    the kernel's own peak resident set size, as the operating system recorded it,
    with no sampling gaps. The worker's own memory (nbclient, zmq) is not in it.
    A process the kernel itself starts and waits for (a DataLoader worker, an MPC
    party) is counted on its own, not added: ``ru_maxrss`` is the largest single
    process, while the CPU time is the sum over all of them.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name=KERNEL_NAME,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    started = time.perf_counter()
    try:
        client.execute()
    except Exception as exc:  # a failing notebook is reported as a row, not raised
        # CellExecutionError names the exception the cell raised.
        error = getattr(exc, "ename", None) or type(exc).__name__
    wall = time.perf_counter() - started
    reap_children()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    error_outputs = sum(
        output.get("output_type") == "error"
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    cpu = usage.ru_utime + usage.ru_stime
    return NotebookRun(wall, cpu, max_rss_bytes(usage), error, error_outputs)


def run_notebook(path: Path) -> NotebookRun:
    """Execute ``path`` from a fresh worker process and return what it measured."""
    with tempfile.TemporaryDirectory(prefix="ehrpriv-bench-") as scratch:
        result_file = Path(scratch) / "result.json"
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path)]
        command += ["--worker-result", str(result_file)]
        if is_exercise(path):
            command.append("--allow-errors")
        completed = subprocess.run(command, capture_output=True, text=True)
        if completed.returncode != 0 or not result_file.is_file():
            tail = completed.stderr.strip().splitlines()[-1:] or ["no output"]
            return NotebookRun(0.0, 0.0, 0, f"worker failed: {tail[0]}", 0)
        return NotebookRun(**json.loads(result_file.read_text(encoding="utf-8")))


def status_text(run: NotebookRun, exercise: bool) -> str:
    """Return the run column: ``ok``, the error, or an exercise's allowed errors."""
    if run.error:
        return f"FAILED ({run.error})"
    if exercise and run.error_outputs:
        return f"ok ({run.error_outputs} cell errors allowed)"
    return "ok"


def benchmark_notebooks(paths: Sequence[Path]) -> str:
    """Execute every notebook in ``paths`` and return the results table."""
    rows = []
    for path in paths:
        progress(f"executing {display_path(path)} ...")
        run = run_notebook(path)
        megabytes = run.peak_rss_bytes / 1e6
        measured = run.peak_rss_bytes > 0
        rows.append(
            [
                display_path(path),
                status_text(run, is_exercise(path)),
                f"{run.wall_seconds:.1f}" if measured else "-",
                verdict(run.wall_seconds, NOTEBOOK_SECONDS) if measured else "-",
                f"{run.cpu_seconds:.1f}" if measured else "-",
                f"{megabytes:.0f}" if measured else "-",
                verdict(megabytes, NOTEBOOK_MEGABYTES) if measured else "-",
            ]
        )
    headers = [
        "notebook",
        "run",
        "wall (s)",
        f"≤ {NOTEBOOK_SECONDS:.0f} s",
        "kernel CPU (s)",
        "kernel peak RSS (MB)",
        f"≤ {NOTEBOOK_MEGABYTES / 1000:.1f} GB",
    ]
    return markdown_table(headers, rows, "llrlrrl")


# --------------------------------------------------------------------------------
# generator
# --------------------------------------------------------------------------------
def benchmark_generator(sizes: Sequence[int], seed: int | None) -> str:
    """Time ``generate_ehr`` and ``write_synthea`` for each size; return the table."""
    from ehrpriv import synthea

    seed = synthea.DEFAULT_SEED if seed is None else seed
    rows = []
    for n_patients in sizes:
        progress(f"generating {n_patients:,} patients (seed {seed}) ...")
        gc.collect()
        with tempfile.TemporaryDirectory(prefix="ehrpriv-bench-") as scratch:
            cpu_started = time.process_time()
            started = time.perf_counter()
            ehr = synthea.generate_ehr(n_patients=n_patients, seed=seed)
            generated = time.perf_counter()
            paths = synthea.write_synthea(ehr, scratch, jobs=2)  # as the CLI does
            written = time.perf_counter()
            cpu = time.process_time() - cpu_started
            size = sum(path.stat().st_size for path in paths)
        admissions = len(ehr.truth)
        del ehr
        total = written - started
        budget = (
            verdict(total, GENERATOR_SECONDS)
            if n_patients == GENERATOR_BUDGET_PATIENTS
            else "-"
        )
        rows.append(
            [
                f"{n_patients:,}",
                f"{admissions:,}",
                f"{generated - started:.1f}",
                f"{written - generated:.1f}",
                f"{total:.1f}",
                f"{cpu:.1f}",
                f"{size / 1e6:.0f}",
                budget,
            ]
        )
    headers = [
        "patients",
        "admissions",
        "generate (s)",
        "write (s)",
        "total (s)",
        "CPU (s)",
        "CSV (MB)",
        f"≤ {GENERATOR_SECONDS:.0f} s at {GENERATOR_BUDGET_PATIENTS:,}",
    ]
    return markdown_table(headers, rows, "rrrrrrrl")


# --------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        description="Print timing and memory tables for the notebooks and the "
        "data generator.",
    )
    parser.add_argument(
        "--notebooks",
        nargs="+",
        metavar="GLOB",
        default=None,
        help="notebooks to execute, relative to the current folder (default: "
        + " ".join(DEFAULT_NOTEBOOKS)
        + " in the repository root)",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=int,
        metavar="N",
        default=list(DEFAULT_SIZES),
        help="numbers of patients to generate (default: "
        + " ".join(map(str, DEFAULT_SIZES))
        + ")",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="generator seed (default: the kit's)"
    )
    parser.add_argument(
        "--cpus",
        type=int,
        default=DEFAULT_CPUS,
        help="pin the run to this many CPUs, as in the budgets; 0 for no pinning "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--skip-notebooks", action="store_true", help="do not execute notebooks"
    )
    parser.add_argument(
        "--skip-generator", action="store_true", help="do not time the generator"
    )
    # Internal: the worker process that executes one notebook (see execute_here).
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker-result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--allow-errors", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks selected on the command line and print their tables."""
    args = build_parser().parse_args(argv)
    if args.worker is not None:
        run = execute_here(args.worker.resolve(), args.allow_errors)
        args.worker_result.write_text(json.dumps(run.__dict__), encoding="utf-8")
        return 0

    cpus = pin_cpus(args.cpus)
    print("## Machine\n")
    print(markdown_table(["item", "value"], machine_rows(cpus), "ll"), flush=True)

    if not args.skip_generator:
        print("\n## Generator: generate_ehr + write_synthea\n")
        print(benchmark_generator(args.sizes, args.seed), flush=True)

    if not args.skip_notebooks:
        print("\n## Notebooks: fresh kernel, top to bottom\n")
        if args.notebooks is None:
            patterns, root = list(DEFAULT_NOTEBOOKS), REPO_ROOT
        else:
            patterns, root = args.notebooks, Path.cwd()
        paths = find_notebooks(patterns, root)
        if paths:
            print(benchmark_notebooks(paths), flush=True)
        else:
            print(f"No notebook matches {' '.join(patterns)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
