"""The set-up cell that opens every notebook, and the repository it points at.

Introduced in lesson 00 (``notebooks/00_start_here.ipynb``). The repository URL is
defined here and nowhere else: :func:`setup_cell_source` renders the first code
cell of every lesson, exercise and solution notebook from it.
"""

from __future__ import annotations

#: The kit's public repository. A fork changes it with ``ehrpriv repo set URL``.
REPOSITORY = "https://github.com/ehrpriv/ehrpriv"

#: Marker on the first line of the set-up cell, used to find and check it.
SETUP_MARKER = "# Set-up:"


def setup_cell_source(repository: str = REPOSITORY) -> str:
    """Return the source of the set-up cell for ``repository``.

    On Google Colab the cell clones the repository (code and the committed
    synthetic data) into ``/content/ehrpriv``, installs the kit with pip, which
    keeps Colab's preinstalled torch, numpy and scikit-learn because the kit's
    dependencies are only lower-bounded, and moves into the clone. Anywhere else
    (JupyterLab, Binder) it does nothing.
    """
    return (
        f"{SETUP_MARKER} on Google Colab, fetch and install the kit; "
        "elsewhere, do nothing.\n"
        "import os\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        '    if not os.path.isdir("/content/ehrpriv"):\n'
        f"        !git clone --quiet --depth 1 {repository} /content/ehrpriv\n"
        "        %pip install --quiet /content/ehrpriv\n"
        '    os.chdir("/content/ehrpriv")'
    )
