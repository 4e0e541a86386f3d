"""Project-wide checks: notebooks' shape, links, pins, lint and the repo command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ehrpriv import colab

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ALL_NOTEBOOKS = colab.notebook_paths(ROOT)
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _markdown(path: Path) -> str:
    """Return the markdown cells of a notebook joined together."""
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


def test_there_are_lessons() -> None:
    """The lesson folder holds at least lessons 00 and 01."""
    names = [path.name for path in LESSONS]
    assert "00_start_here.ipynb" in names
    assert "01_ehr_data.ipynb" in names


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_setup_cell(path: Path) -> None:
    """The first code cell of every notebook is the current set-up cell."""
    notebook = nbformat.read(path, as_version=4)
    first = next(c for c in notebook.cells if c.cell_type == "code")
    assert first.source == colab.setup_cell_source()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_follows_the_skeleton(path: Path) -> None:
    """A lesson has the skeleton of DESIGN.md, in order, and a configuration cell."""
    notebook = nbformat.read(path, as_version=4)
    text = _markdown(path)
    number = path.name[:2]
    assert notebook.cells[0].source.startswith(f"# {number} · ")
    headings = [
        "**Learning objectives.**",
        "**Prerequisites.**",
        "**Run time.**",
        "**Scope.**",
        "## Summary",
        "## Further reading",
        "## Exercises",
    ]
    positions = [text.find(heading) for heading in headings]
    assert all(p >= 0 for p in positions), dict(zip(headings, positions, strict=True))
    assert positions == sorted(positions)
    objectives = text[positions[0] : positions[1]]
    assert 3 <= len(re.findall(r"^\d\. \*\*", objectives, flags=re.MULTILINE)) <= 5
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    config = re.compile(r"^[A-Z][A-Z0-9_]* = ", flags=re.MULTILINE)
    assert config.search(code[1]), "the cell after the set-up cell configures"
    reading = text[positions[5] : positions[6]]
    assert len(re.findall(r"^\* ", reading, flags=re.MULTILINE)) >= 2


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_cells_stay_short(path: Path) -> None:
    """Code cells have a median under 8 lines and none over 30."""
    notebook = nbformat.read(path, as_version=4)
    lengths = sorted(
        len(c.source.splitlines()) for c in notebook.cells if c.cell_type == "code"
    )
    assert lengths[len(lengths) // 2] < 8
    assert lengths[-1] <= 30


def _links(path: Path) -> list[str]:
    """Return the relative link targets of a markdown file or notebook."""
    text = _markdown(path) if path.suffix == ".ipynb" else path.read_text("utf-8")
    return [t for t in LINK.findall(text) if not re.match(r"^[a-z]+:", t)]


@pytest.mark.parametrize(
    "path",
    [ROOT / "README.md", *sorted(ROOT.glob("*/README.md")), *ALL_NOTEBOOKS],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_relative_links_resolve(path: Path) -> None:
    """Every relative link in the README files and notebooks points at a file."""
    dead = [t for t in _links(path) if not (path.parent / t).exists()]
    assert not dead


def test_binder_pins_match_requirements() -> None:
    """Binder installs the same versions as requirements.txt (CPU torch aside)."""

    def pins(path: Path) -> dict[str, str]:
        """Map each pinned distribution to its version."""
        found = {}
        for line in path.read_text("utf-8").splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s+]+)", line)
            if match:
                found[match.group(1).lower()] = match.group(2)
        return found

    main = pins(ROOT / "requirements.txt")
    binder = pins(ROOT / "binder" / "requirements.txt")
    assert binder
    for name, version in binder.items():
        assert main.get(name) == version, name
    dev_only = {"pytest", "nbval", "ruff"}
    assert set(main) - set(binder) <= dev_only


def test_package_dependencies_are_lower_bounds_only() -> None:
    """pyproject.toml pins nothing exactly, so Colab keeps its own torch and numpy."""
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    block = text[
        text.index("dependencies = [") : text.index("]", text.index("dependencies = ["))
    ]
    assert "==" not in block
    assert '"torch>=' in block and '"numpy>=' in block


def test_ruff_is_clean() -> None:
    """ruff reports nothing in the package, tests, benchmarks and notebooks."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run(
        [ruff, "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_repo_set_points_everything_at_a_fork(tmp_path: Path) -> None:
    """`ehrpriv repo set` rewrites the constant, the set-up cells and the badges."""
    (tmp_path / "ehrpriv").mkdir()
    shutil.copy(ROOT / "ehrpriv" / "colab.py", tmp_path / "ehrpriv" / "colab.py")
    (tmp_path / "notebooks").mkdir()
    shutil.copy(LESSONS[0], tmp_path / "notebooks" / LESSONS[0].name)
    badge = colab.badges("notebooks/" + LESSONS[0].name)
    (tmp_path / "README.md").write_text(f"# kit\n\n{badge}\n", encoding="utf-8")
    fork = "https://github.com/someone/ehrpriv-fork"

    changed = colab.set_repository(tmp_path, fork)

    assert len(changed) == 3
    assert f'REPOSITORY = "{fork}"' in (tmp_path / "ehrpriv" / "colab.py").read_text()
    assert colab.check_setup_cells(tmp_path, fork) == []
    readme = (tmp_path / "README.md").read_text()
    assert "someone/ehrpriv-fork" in readme and "ehrpriv/ehrpriv" not in readme
    assert colab.set_repository(tmp_path, fork) == []


def test_repo_set_refuses_a_non_github_url(tmp_path: Path) -> None:
    """A URL that is not https://github.com/OWNER/NAME is refused with its value."""
    with pytest.raises(ValueError, match=r"GitHub URL .* got 'ftp://example.org/x'"):
        colab.set_repository(tmp_path, "ftp://example.org/x")


def test_environment_report_names_every_library() -> None:
    """The environment check lists each library the lessons use, with a version."""
    from ehrpriv import environment

    table = environment.library_versions()
    assert {"torch", "opacus", "opendp", "tenseal", "flwr", "mpyc"} <= set(table.index)
    assert environment.where_running() in {"local", "Binder", "Colab"}


def test_readme_badges_point_at_the_repository() -> None:
    """Every Colab and Binder link in the README uses the configured repository."""
    text = (ROOT / "README.md").read_text("utf-8")
    slug = colab.REPOSITORY.removeprefix("https://github.com/")
    links = re.findall(
        r"https://(?:colab\.research\.google\.com/github|mybinder\.org"
        r"/v2/gh)/([^/]+/[^/]+)/",
        text,
    )
    assert links
    assert set(links) == {slug}
    for path in LESSONS:
        assert colab.colab_url(f"notebooks/{path.name}") in text, path.name
