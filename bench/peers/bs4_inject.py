"""The Python injector a user would write: BeautifulSoup with html.parser, append to <head> and
<body>, write str(soup) back.

    python bs4_inject.py SNIPPETS.json BUILD_DIR
"""

import json
import os
import sys

from bs4 import BeautifulSoup


def html_pages(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.lower().endswith(".html"):
                yield os.path.join(dirpath, name)


def main(argv):
    if len(argv) != 3:
        print("usage: python bs4_inject.py SNIPPETS.json BUILD_DIR", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        snippets = json.load(f)
    n = 0
    for page in html_pages(argv[2]):
        with open(page, encoding="utf-8") as f:
            soup = BeautifulSoup(f.read(), "html.parser")
        head = soup.head or soup
        body = soup.body or soup
        head.append(BeautifulSoup(snippets["head"], "html.parser"))
        body.append(BeautifulSoup(snippets["body"], "html.parser"))
        with open(page, "w", encoding="utf-8") as f:
            f.write(str(soup))
        n += 1
    print(f"bs4: {n} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
