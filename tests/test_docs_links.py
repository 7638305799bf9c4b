"""The documentation a reader of a plain clone gets: every relative link in README.md and docs/
leads to a file of the repository (and to a heading, where it names one), nothing cites files
the repository does not have, and the README's commands are the ones CI runs."""

import re
from pathlib import Path

import pytest

from tests.helpers import ROOT

PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in FENCE.sub("", page.read_text()).splitlines():
        if m := re.match(r"^#{1,6} (.+?)\s*#*\s*$", line):
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans are not links
    return [target for target in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def test_the_docs_exist():
    names = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert {"commands.md", "configuration.md", "documents.md", "change-detection.md", "feeding.md",
            "deployment.md", "architecture.md", "testing.md", "benchmarks.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists() or ROOT.resolve() not in (dest, *dest.parents):
            broken.append(f"{target}: no such file in the repository")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading '{anchor}' in {dest.relative_to(ROOT.resolve())}")
    assert not broken, "\n".join(broken)


def test_the_readme_links_every_doc():
    readme = set(links(ROOT / "README.md"))
    for doc in (ROOT / "docs").glob("*.md"):
        assert any(t.partition("#")[0] == f"docs/{doc.name}" for t in readme), doc.name


def test_nothing_cites_files_outside_the_repository():
    # the design notes and the database facts live beside the repository, not in it: a clone
    # has only what docs/ says, so no page or comment may send a reader there
    outside = re.compile("|".join(["DESIGN" + r"\.md", "DESIGN" + r" §", "procore" + "-facts", r"\.\./" + "shared"]))
    files = [*PAGES, *ROOT.glob("procore_ingest/**/*.py"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/*.py"),
             *ROOT.glob("scripts/*.py"), ROOT / "bench" / "README.md"]
    hits = [f"{f.relative_to(ROOT)}:{n}" for f in files
            for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1) if outside.search(line)]
    assert not hits, hits


def test_the_readme_test_command_is_what_ci_runs():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    command = next(line for line in ci if "quickstart.py" in line)
    readme = (ROOT / "README.md").read_text()
    tests = readme.split("## Tests", 1)[1]
    assert re.search(rf"^{re.escape(command)}(\s+#.*)?$", tests, re.M), command
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "python3 scripts/quickstart.py " in quick and command in quick
    assert readme.index("## Quick start") < readme.index("## What it is")  # the quick start comes first
