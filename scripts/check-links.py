"""Fail on a dead link in the built book or in the repository's Markdown.

    python3 scripts/check-links.py [BOOK_DIR]     (default docs/book, from `mdbook build docs`)

In the book, every relative href and src of every page must name a file that mdBook wrote and,
with a #fragment, an id on that page. In README.md and CHANGELOG.md every relative link must
name a file of the repository. mdBook itself only warns about some of these; links to the web
are not checked (CI has no network to spare). Exit 1 lists every dead link.
"""
import html.parser
import pathlib
import re
import sys
import urllib.parse


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value:
                self.links.append(value)


def external(link):
    return re.match(r"^[a-z][a-z0-9+.-]*:", link) is not None


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    book = root / (sys.argv[1] if len(sys.argv) > 1 else "docs/book")
    if not (book / "index.html").exists():
        sys.exit(f"check-links: no book at {book} (run `mdbook build docs` first)")
    pages = {}
    for path in book.rglob("*.html"):
        page = Page()
        page.feed(path.read_text(encoding="utf-8"))
        pages[path.resolve()] = page
    dead = []
    for path, page in sorted(pages.items()):
        for link in page.links:
            if external(link) or link.startswith("//"):
                continue
            target, _, fragment = link.partition("#")
            target = urllib.parse.unquote(target)
            file = (path.parent / target).resolve() if target else path
            if not file.exists():
                dead.append(f"{path.relative_to(book)}: {link}: no such file")
            elif fragment and file.suffix == ".html" and fragment not in pages[file].ids:
                dead.append(f"{path.relative_to(book)}: {link}: no #{fragment} on that page")
    for md in ("README.md", "CHANGELOG.md"):
        text = (root / md).read_text(encoding="utf-8")
        for link in re.findall(r"\]\(([^)\s]+)\)", text):
            target = urllib.parse.unquote(link.partition("#")[0])
            if target and not external(link) and not (root / target).exists():
                dead.append(f"{md}: {link}: no such file")
    if dead:
        print("\n".join(dead), file=sys.stderr)
        sys.exit(f"check-links: {len(dead)} dead link(s)")
    print(f"check-links: {len(pages)} pages and the README checked, no dead link")


main()
