"""Where the kit runs and with what: the environment check of lesson 00.

Introduced in lesson 00 (``notebooks/00_start_here.ipynb``).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys

import pandas as pd

#: Distributions the lessons use, with what each is for.
LIBRARIES: dict[str, str] = {
    "ehrpriv": "this kit's helpers",
    "numpy": "arrays",
    "pandas": "tables",
    "scikit-learn": "baseline models and metrics",
    "scipy": "statistics",
    "torch": "neural networks",
    "matplotlib": "plots",
    "opacus": "DP-SGD (lesson 04)",
    "opendp": "vetted differential privacy (lesson 03)",
    "tenseal": "homomorphic encryption (lesson 05)",
    "mpyc": "secure multi-party computation (lesson 06)",
    "flwr": "federated learning (lesson 07)",
    "nbclient": "the grader",
    "cloudpickle": "the grader",
}


def where_running() -> str:
    """Return ``"Colab"``, ``"Binder"`` or ``"local"``: where this kernel runs."""
    if "google.colab" in sys.modules:
        return "Colab"
    if "BINDER_LAUNCH_HOST" in os.environ or "BINDER_REPO_URL" in os.environ:
        return "Binder"
    return "local"


def _memory_gb() -> float:
    """Return the machine's total memory in GB (NaN where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (AttributeError, ValueError, OSError):
        return float("nan")


def machine() -> dict[str, str]:
    """Return where the kernel runs, the Python version, CPU count and memory."""
    return {
        "running on": where_running(),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "CPU cores": str(os.cpu_count()),
        "memory": f"{_memory_gb():.1f} GB",
    }


def library_versions() -> pd.DataFrame:
    """Return a table of each library the lessons use: version, or "missing".

    Returns
    -------
    DataFrame
        Indexed by distribution name, with columns ``version`` and ``used for``.
    """
    rows = {}
    for name, purpose in LIBRARIES.items():
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "missing"
        rows[name] = {"version": version, "used for": purpose}
    return pd.DataFrame.from_dict(rows, orient="index")
