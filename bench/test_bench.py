"""Tests for the benchmark's own parts: the fidelity checker, the site generator, the timing parser.

    python3 -m unittest discover -s bench -p 'test_*.py'
"""

from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402
import fidelity  # noqa: E402
import gen_site  # noqa: E402

HEAD = '<link rel="stylesheet" href="/chatkit/widget.00000000.css" data-chatkit-inject>'
BODY = (
    '<script type="application/json" id="chatkit-inject-config" data-chatkit-inject>{"v":1}</script>'
    '<script src="/chatkit/loader.00000000.js" defer data-chatkit-inject></script>'
)
SNIPPETS = {"head": HEAD, "body": BODY}
PAGE = (
    "<!doctype html><html><head><title>t</title></head><body>"
    '<!-- </body> --><script>var s="</body>";</script><p class=x>end</p></body></html>'
)


def inject_correctly(page: str) -> str:
    at = page.rindex("</body>")
    page = page[:at] + BODY + page[at:]
    at = page.index("</head>")
    return page[:at] + HEAD + page[at:]


class FidelityTests(unittest.TestCase):
    def test_a_correct_injection_changes_nothing_else(self):
        new = inject_correctly(PAGE).encode()
        r = fidelity.check_page(PAGE.encode(), new, SNIPPETS, sample=True)
        self.assertFalse(r.changed)
        self.assertEqual(r.marked, 3)
        self.assertFalse(r.misplaced)
        self.assertTrue(r.exact_snippets)

    def test_first_body_end_tag_in_a_comment_is_misplaced(self):
        naive = PAGE.replace("</head>", HEAD + "</head>", 1).replace("</body>", BODY + "</body>", 1)
        r = fidelity.check_page(PAGE.encode(), naive.encode(), SNIPPETS, sample=True)
        self.assertFalse(r.changed)
        self.assertTrue(r.misplaced)

    def test_reserialised_attributes_count_the_bytes_they_changed(self):
        new = inject_correctly(PAGE).replace("<p class=x>", '<p class="x">').encode()
        r = fidelity.check_page(PAGE.encode(), new, SNIPPETS, sample=True)
        self.assertTrue(r.changed)
        self.assertEqual(r.changed_bytes, 2)
        self.assertIsNone(fidelity.check_page(PAGE.encode(), new, SNIPPETS, sample=False).changed_bytes)

    def test_snippets_serialised_differently_are_still_cut_out(self):
        peer = inject_correctly(PAGE).replace("data-chatkit-inject", 'data-chatkit-inject=""')
        r = fidelity.check_page(PAGE.encode(), peer.encode(), SNIPPETS, sample=True)
        self.assertFalse(r.changed)
        self.assertEqual(r.marked, 3)
        self.assertFalse(r.exact_snippets)

    def test_missing_widget_is_counted(self):
        r = fidelity.check_page(PAGE.encode(), PAGE.encode(), SNIPPETS, sample=True)
        self.assertEqual(r.marked, 0)
        self.assertFalse(r.changed)

    def test_real_body_end_skips_scripts_and_comments(self):
        page = PAGE.encode()
        self.assertEqual(fidelity.real_body_end(page), page.rindex(b"</body>"))
        self.assertEqual(fidelity.real_body_end(b"<p>x</p></BODY>"), 8)
        self.assertIsNone(fidelity.real_body_end(b"<p>no end</p>"))
        multibyte = "<p>é</p><script>'</body>'</script></body>".encode()
        self.assertEqual(fidelity.real_body_end(multibyte), multibyte.rindex(b"</body>"))

    def test_check_tree_counts_pages(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = Path(d, "a"), Path(d, "b")
            for root in (a, b):
                (root / "x").mkdir(parents=True)
            (a / "one.html").write_text(PAGE)
            (b / "one.html").write_text(inject_correctly(PAGE))
            (a / "x" / "two.html").write_text(PAGE)
            (b / "x" / "two.html").write_text(inject_correctly(PAGE).replace("class=x", 'class="x"'))
            s = fidelity.check_tree(a, b, SNIPPETS, jobs=1)
        self.assertEqual(s.pages, 2)
        self.assertEqual(s.changed_pages, 1)
        self.assertEqual(s.sampled_changed_bytes, 2)
        self.assertEqual(s.exact_snippets, 2)


class GeneratorTests(unittest.TestCase):
    def test_article_content_is_repeated_to_grow_a_page(self):
        page = b"<html><body><article><p>abc</p></article></body></html>"
        t = gen_site.Template("t", page, 1.0)
        grown = t.grown(len(page) * 3)
        self.assertGreater(len(grown), len(page) * 2)
        self.assertEqual(grown.count(b"<article>"), 1)
        self.assertEqual(grown.count(b"<p>abc</p>"), (len(grown) - len(page)) // len(b"<p>abc</p>") + 1)
        self.assertEqual(t.grown(10), page)
        self.assertIsNone(gen_site.article_span(b"<p>no article</p>"))

    def test_generation_is_deterministic_and_pages_differ(self):
        with tempfile.TemporaryDirectory() as d:
            one = gen_site.generate(40, Path(d, "one"), seed=3)
            gen_site.generate(40, Path(d, "two"), seed=3)
            pages_one = sorted(Path(d, "one").rglob("*.html"))
            pages_two = sorted(Path(d, "two").rglob("*.html"))
            self.assertEqual(len(pages_one), 40)
            self.assertEqual(one["pages"], 40)
            self.assertEqual([p.read_bytes() for p in pages_one], [p.read_bytes() for p in pages_two])
            self.assertEqual(len({p.read_bytes() for p in pages_one}), 40)
            self.assertTrue(any(Path(d, "one").rglob("*.css")))


class TimingTests(unittest.TestCase):
    def test_parses_gnu_time_verbose_output(self):
        with tempfile.TemporaryDirectory() as d:
            f = Path(d, "t")
            f.write_text(
                '\tCommand being timed: "cp -r a b"\n'
                "\tUser time (seconds): 1.25\n"
                "\tSystem time (seconds): 0.50\n"
                "\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:02.00\n"
                "\tMaximum resident set size (kbytes): 4096\n"
                "\tExit status: 0\n"
            )
            r = bench.parse_time_v(f)
        self.assertEqual(r, {"user": 1.25, "sys": 0.5, "rss_kib": 4096, "exit": 0})


class TargetTests(unittest.TestCase):
    @staticmethod
    def fig(wall, rss=9.0):
        return {"wall": wall, "cpu": wall, "rss_mib": rss, "changed_pages": 0, "misplaced": 0}

    def verdicts(self, figures, double=None):
        return {label: ok for label, ok, _ in bench.targets(figures, double)}

    def test_ratios_pass_and_fail_on_the_issue_thresholds(self):
        figures = {
            bench.OURS: self.fig(2.0),
            bench.OURS_1: self.fig(3.0),
            "naive replace (node)": self.fig(1.9),
            "cheerio (node)": self.fig(41.0),
            "BeautifulSoup (python)": self.fig(99.0),
            "cp -r (copy floor)": self.fig(0.9),
        }
        v = self.verdicts(figures)
        self.assertFalse(v["faster than the naive replace"])
        self.assertTrue(v["20x faster than cheerio"])
        self.assertFalse(v["50x faster than BeautifulSoup"])
        self.assertFalse(v["within 2x of cp -r"])
        if (bench.os.cpu_count() or 1) >= 2:
            self.assertFalse(v["all cores >= 1.7x --jobs 1"])

    def test_corpus_overhead_must_stay_under_the_goal_in_wall_and_cpu_time(self):
        label = "corpus overhead < 25%"
        plain = self.fig(2.0)
        cheap = {bench.OURS: plain, bench.OURS_CORPUS: self.fig(2.4)}
        self.assertTrue(self.verdicts(cheap)[label])
        dear = {bench.OURS: plain, bench.OURS_CORPUS: self.fig(3.0)}
        self.assertFalse(self.verdicts(dear)[label])
        # A plain run slowed by the machine's load: its wall time hides the cost, not its CPU.
        loaded = {bench.OURS: {**plain, "wall": 4.0}, bench.OURS_CORPUS: self.fig(3.0)}
        self.assertFalse(self.verdicts(loaded)[label])

    def test_memory_on_twice_the_pages_must_stay_flat(self):
        figures = {bench.OURS: self.fig(2.0, rss=10.0)}
        flat = self.verdicts(figures, {"pages": 20240, "rss_mib": 10.3})
        self.assertTrue(flat["no more memory on a site twice the size"])
        grows = self.verdicts(figures, {"pages": 20240, "rss_mib": 12.0})
        self.assertFalse(grows["no more memory on a site twice the size"])
        big = self.verdicts({bench.OURS: self.fig(2.0, rss=33.0)})
        self.assertFalse(big["peak memory <= 32 MiB"])


if __name__ == "__main__":
    unittest.main()
