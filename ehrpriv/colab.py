"""The set-up cell that opens every notebook, badges, and the repository URL.

Introduced in lesson 00 (``notebooks/00_start_here.ipynb``). The repository URL is
defined here and nowhere else: :func:`setup_cell_source` renders the first code
cell of every lesson, exercise and solution notebook from it, and
:func:`badges` renders the "Open in Colab" and Binder links of the README. A fork
runs ``ehrpriv repo set https://github.com/OWNER/NAME`` to point all of them at
itself.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import nbformat

#: The kit's public repository. A fork changes it with ``ehrpriv repo set URL``.
REPOSITORY = "https://github.com/ehrpriv/ehrpriv"

#: Marker on the first line of the set-up cell, used to find and check it.
SETUP_MARKER = "# Set-up:"

#: Folders whose notebooks start with the set-up cell.
NOTEBOOK_FOLDERS = ("notebooks", "solutions", "exercises")

_GITHUB = re.compile(r"^https://github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)/?$")
_BADGES_START = "<!-- badges:start -->"
_BADGES_END = "<!-- badges:end -->"


def _slug(repository: str) -> str:
    """Return ``OWNER/NAME`` of a GitHub URL, or raise a clear error."""
    match = _GITHUB.match(repository)
    if match is None:
        raise ValueError(
            "repository must be a GitHub URL like https://github.com/OWNER/NAME; "
            f"got {repository!r}."
        )
    return f"{match.group(1)}/{match.group(2)}"


def setup_cell_source(repository: str = REPOSITORY) -> str:
    """Return the source of the set-up cell for ``repository``.

    On Google Colab the cell clones the repository (code and the committed
    synthetic data) into ``/content/ehrpriv``, installs the kit with pip, which
    keeps Colab's preinstalled torch, numpy and scikit-learn because the kit's
    dependencies are only lower-bounded, and moves into the clone. Anywhere else
    (JupyterLab, Binder) it does nothing.

    Raises
    ------
    ValueError
        If ``repository`` is not a GitHub URL.
    """
    _slug(repository)
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


def colab_url(path: str, repository: str = REPOSITORY) -> str:
    """Return the "Open in Colab" address of notebook ``path`` (repository-relative)."""
    return (
        f"https://colab.research.google.com/github/{_slug(repository)}/blob/main/{path}"
    )


def binder_url(path: str, repository: str = REPOSITORY) -> str:
    """Return the Binder address that opens notebook ``path`` in JupyterLab."""
    return (
        f"https://mybinder.org/v2/gh/{_slug(repository)}/HEAD"
        f"?labpath={path.replace('/', '%2F')}"
    )


def badges(path: str, repository: str = REPOSITORY) -> str:
    """Return the Markdown of the Colab and Binder badges for notebook ``path``."""
    return (
        f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(path, repository)}) "
        f"[![Binder](https://mybinder.org/badge_logo.svg)]"
        f"({binder_url(path, repository)})"
    )


def notebook_paths(root: str | Path) -> list[Path]:
    """Return every notebook under the folders that carry the set-up cell."""
    base = Path(root)
    return sorted(
        p for folder in NOTEBOOK_FOLDERS for p in (base / folder).glob("*.ipynb")
    )


def _first_code_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """Return the first code cell of ``notebook``, if any."""
    return next((c for c in notebook.cells if c.cell_type == "code"), None)


def check_setup_cells(root: str | Path, repository: str = REPOSITORY) -> list[str]:
    """List notebooks whose first code cell is not the current set-up cell."""
    expected = setup_cell_source(repository)
    problems = []
    for path in notebook_paths(root):
        cell = _first_code_cell(nbformat.read(path, as_version=4))
        if cell is None or cell.source != expected:
            problems.append(str(path.relative_to(root)))
    return problems


def set_repository(root: str | Path, repository: str) -> list[Path]:
    """Point every set-up cell, README badge and the constant at ``repository``.

    Rewrites :data:`REPOSITORY` in ``ehrpriv/colab.py``, the set-up cell of each
    notebook in :data:`NOTEBOOK_FOLDERS` (leaving its outputs and every other cell
    untouched), and the Colab, Binder and GitHub addresses in ``README.md``.

    Parameters
    ----------
    root : path
        The kit's top folder (holding ``README.md`` and ``ehrpriv/``).
    repository : str
        The new GitHub URL, ``https://github.com/OWNER/NAME``.

    Returns
    -------
    list of Path
        The files changed.

    Raises
    ------
    ValueError
        If ``repository`` is not a GitHub URL.
    FileNotFoundError
        If ``root`` does not hold ``ehrpriv/colab.py``.
    """
    base = Path(root)
    new_slug = _slug(repository)
    module = base / "ehrpriv" / "colab.py"
    if not module.is_file():
        raise FileNotFoundError(
            f"root must be the kit's top folder holding ehrpriv/colab.py; got {base}."
        )
    text = module.read_text(encoding="utf-8")
    current = re.search(r'^REPOSITORY = "([^"]+)"$', text, flags=re.MULTILINE)
    old = current.group(1) if current else REPOSITORY
    old_slug = _slug(old)
    changed = []
    updated = text.replace(f'REPOSITORY = "{old}"', f'REPOSITORY = "{repository}"')
    if updated != text:
        module.write_text(updated, encoding="utf-8")
        changed.append(module)
    old_cell, new_cell = setup_cell_source(old), setup_cell_source(repository)
    for path in notebook_paths(base):
        raw = path.read_text(encoding="utf-8")
        notebook = nbformat.reads(raw, as_version=4)
        cell = _first_code_cell(notebook)
        if cell is not None and cell.source in (old_cell, new_cell):
            if cell.source != new_cell:
                cell.source = new_cell
                nbformat.write(notebook, path)
                changed.append(path)
    readme = base / "README.md"
    if readme.is_file():
        text = readme.read_text(encoding="utf-8")
        updated = text
        for prefix in (
            "https://github.com/",
            "https://colab.research.google.com/github/",
            "https://mybinder.org/v2/gh/",
        ):
            updated = updated.replace(prefix + old_slug, prefix + new_slug)
        if updated != text:
            readme.write_text(updated, encoding="utf-8")
            changed.append(readme)
    return changed


def _repo_command(args: argparse.Namespace) -> int:
    """Show or change the repository the kit points at (``ehrpriv repo``)."""
    root = Path(args.root)
    if args.repo_command == "show":
        text = (root / "ehrpriv" / "colab.py").read_text(encoding="utf-8")
        current = re.search(r'^REPOSITORY = "([^"]+)"$', text, flags=re.MULTILINE)
        print(current.group(1) if current else REPOSITORY)
        stale = check_setup_cells(root, current.group(1) if current else REPOSITORY)
        for path in stale:
            print(f"set-up cell differs: {path}")
        return 1 if stale else 0
    changed = set_repository(root, args.url)
    for path in changed:
        print(f"updated {path.relative_to(root)}")
    print(f"{len(changed)} file(s) now point at {args.url}")
    return 0


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ehrpriv repo show`` and ``ehrpriv repo set URL`` to the command line."""
    repo = subparsers.add_parser(
        "repo", help="show or change the repository that badges and set-up cells use"
    )
    repo.add_argument("--root", default=".", help="the kit's top folder (default .)")
    commands = repo.add_subparsers(dest="repo_command", metavar="ACTION")
    commands.required = True
    commands.add_parser("show", help="print the repository URL and stale set-up cells")
    change = commands.add_parser("set", help="point everything at another repository")
    change.add_argument("url", help="https://github.com/OWNER/NAME")
    repo.set_defaults(func=_repo_command)
