"""The supervisor summary (text, Markdown, HTML) and the QA report, checked as data, as files and in a real
headless browser (Debian's chromium + chromium-driver, driven with selenium).

The browser tests skip, with the reason, only when chromium or chromedriver is not installed
(``apt-get install -y chromium chromium-driver``; CI installs them). Fixtures: tests/fixtures/pii/calls.jsonl
(invented calls whose transcript text holds ``<script>alert(1)</script>``, ``<img src=x onerror=alert(1)>``,
Markdown and rich markup). Token expectations assume unidic-lite 1.0.8.
"""
from __future__ import annotations

import base64
import copy
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from escalyzer.readers import read
from escalyzer.writers import SLOTS, STEPS

FIX = Path(__file__).resolve().parent / "fixtures" / "pii"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1800")


# -- data ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def calls():
    return {t.call_id: t for t in read(FIX / "calls.jsonl")}


@pytest.fixture(scope="module")
def summaries(analyzer, calls):
    from escalyzer.render.summary import build_summary

    return {cid: build_summary(t, analyzer, team="お客様サポートチーム", supervisor="岡部") for cid, t in calls.items()}


@pytest.fixture(scope="module")
def records(analyzer, calls):
    return [analyzer.analyze(t) for t in calls.values()]


def test_summary_covers_only_the_part_before_the_handoff(summaries, calls):
    s = summaries["PII-001"]
    assert s["handoff_turn"] == 9 and s["n_turns_before"] == 9
    quoted = json.dumps(s, ensure_ascii=False)
    assert "やっと出てきた" not in quoted  # the customer's words after the handoff are not summarised


def test_summary_status_callback_and_clock(summaries):
    s = summaries["PII-001"]
    assert s["status"]["code"] == "on_hold" and s["status"]["evidence"]["turn"] == 8
    assert s["callback"]["overdue"] is True and s["callback"]["promised_at"] == "11月19日 17:00"
    assert s["time"]["sla_overdue"] is True and s["time"]["since_first_contact"].startswith("2日")
    assert s["time"]["hold"] is not None  # the gap between the first agent's last turn and the supervisor's first


def test_summary_customer_state_has_levels_quotes_and_trajectory(summaries, calls):
    for cid, s in summaries.items():
        for dim in ("anger", "urgency"):
            d = s[dim]
            assert d["level"] in (0, 1, 2, 3)
            assert d["words"].startswith(str(d["level"]))
            assert [p["turn"] for p in d["trajectory"]] == sorted(p["turn"] for p in d["trajectory"])
            for q in d["quotes"]:
                text = calls[cid].turns[q["turn"]].text
                assert q["before"] + q["mark"] + q["after"] in text and q["mark"]


def test_summary_6w3h_marks_missing_slots_as_questions(summaries):
    from escalyzer.render.summary import slot_questions

    qs = slot_questions()
    assert set(qs) == set(SLOTS)
    for s in summaries.values():
        assert [x["slot"] for x in s["slots"]] == list(SLOTS)
        for x in s["slots"]:
            assert x["missing"] == (not x["values"]) or x["slot"] in s["missing_slots"]
            if x["missing"]:
                assert x["question"] == qs[x["slot"]]["question"]


def test_summary_lists_what_the_first_agent_did(summaries):
    s = summaries["PII-001"]
    labels = {g["label"] for g in s["agent"]}
    assert {"CHECKED", "ASKED", "HOLD", "APOLOGIZED"} <= labels
    for g in s["agent"]:
        assert all(q["speaker"] == "agent" for q in g["items"])


def test_summary_separates_facts_and_emotions(summaries):
    s = summaries["PII-001"]
    assert set(s["sentences"]) >= {"fact", "emotion", "mixed"}
    assert sum(len(v) for v in s["sentences"].values()) > 0


def test_summary_escalation_and_route(summaries):
    s = summaries["PII-002"]
    assert s["escalation"]["needed"] and any(t["kind"] == "hierarchical" for t in s["escalation"]["types"])
    assert s["escalation"]["route_to"]
    assert all(r["label"] for r in s["escalation"]["reasons"])


def test_opening_lines_follow_the_steps_and_are_filled(summaries):
    for s in summaries.values():
        steps = [o["step"] for o in s["opening_lines"]]
        assert steps[0] == "introduce" and "apologize_first_response" in steps
        assert steps == sorted(steps, key=STEPS.index)
        for o in s["opening_lines"]:
            assert "{" not in o["text"] and o["source"]
    intro = summaries["PII-001"]["opening_lines"][0]["text"]
    assert "お客様サポートチーム" in intro and "岡部" in intro
    angry = summaries["PII-002"]
    if angry["anger"]["level"] >= 2:
        assert any("ご不快な思い" in o["text"] for o in angry["opening_lines"])


def test_every_opening_line_template_uses_known_fields():
    from escalyzer.render.summary import opening_templates

    known = {"team", "supervisor", "customer", "first_agent", "issue", "when", "where", "how_much", "how_many",
             "callback_at", "question"}
    spec = opening_templates()
    for line in spec["lines"]:
        assert set(re.findall(r"\{(\w+)\}", line["text"])) <= known, line["id"]
        assert line["step"] in STEPS, line["id"]


def test_text_summary_shows_markup_literally(summaries):
    from escalyzer.render.summary import render_text

    out = render_text([summaries["PII-002"], summaries["PII-001"]])
    assert "[link](http://evil.example)" in out  # rich markup is not interpreted
    assert SCRIPT in out and "二次対応サマリー" in out
    assert "\x1b[" not in out  # no colour codes in a file


def test_markdown_summary_escapes_html_and_markdown(summaries):
    from escalyzer.render.summary import render_markdown

    out = render_markdown(list(summaries.values()))
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out
    assert "\\*\\*至急\\*\\*" in out and "\\[link\\]\\(http://evil.example\\)" in out
    assert "| **未確認** → 質問:" in out or "未確認" in out


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _static_checks(html: str) -> _Tags:
    p = _Tags()
    p.feed(html)
    tags = [t for t, _ in p.tags]
    assert "script" not in tags and "iframe" not in tags and "link" not in tags
    for tag, attrs in p.tags:
        for k, v in attrs.items():
            assert not k.startswith("on"), (tag, k)
            if k == "src":
                assert v.startswith("data:image/png;base64,"), (tag, v[:40])
            if k == "href":
                assert v.startswith("#"), (tag, v)
    assert "@media print" in html
    return p


@pytest.fixture(scope="module")
def summary_html(summaries, tmp_path_factory):
    from escalyzer.render.summary import render_html

    path = tmp_path_factory.mktemp("summary") / "summary.html"
    path.write_text(render_html([summaries["PII-001"], summaries["PII-002"]]), "utf-8")
    return path


def test_html_summary_is_self_contained_and_escaped(summary_html):
    html = summary_html.read_text("utf-8")
    _static_checks(html)
    assert SCRIPT not in html and IMG not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# -- the report ---------------------------------------------------------------------------------------

def _with_supervisors(records):
    """Records plus synthetic supervisor step results (the heatmap's input) and hostile strings."""
    out = copy.deepcopy(records)
    names = [SCRIPT, "高木", "高木"]
    for n, rec in enumerate(out):
        rec["supervisor"] = {"name": names[n % 3], "handoff_turn": 5, "handoff_rule": "handoff.speaker_role",
                             "score": 0.5, "phrasing": [],
                             "steps": {s: {"done": (i + n) % 2 == 0} for i, s in enumerate(STEPS)}}
    hostile = copy.deepcopy(out[0])
    hostile["call_id"] = f'X"><{IMG[1:]}'
    hostile["anger"]["evidence"] = [{"turn": 1, "start": 0, "end": len(IMG), "text": IMG, "rule": "anger.test",
                                     "score": 1.0}]
    hostile["received_at"] = "2026-11-25T09:00:00+09:00"
    out.append(hostile)
    return out


@pytest.fixture(scope="module")
def report(records):
    from escalyzer.render.report import build_report

    return build_report(_with_supervisors(records), title="テスト用 QA レポート", source="fixtures")


@pytest.fixture(scope="module")
def report_html(report, tmp_path_factory):
    from escalyzer.render.report import render_report_html

    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report_html(report), "utf-8")
    return path


def test_report_tables_hold_the_numbers(report):
    assert report["n_calls"] == 4
    assert sum(d["count"] for d in report["anger"]) == 4 and sum(d["count"] for d in report["urgency"]) == 4
    assert [d["kind"] for d in report["by_kind"]][:3] == ["functional", "hierarchical", "automatic"]
    risks = [c["risk"] for c in report["calls"]]
    assert risks == sorted(risks, reverse=True)
    assert report["has_steps"] and {r["supervisor"] for r in report["coverage"]} == {SCRIPT, "高木"}
    assert [t["period"] for t in report["trends"]] == sorted(t["period"] for t in report["trends"])
    assert sum(t["calls"] for t in report["trends"]) == 4


def test_report_charts_are_embedded_pngs(report):
    assert set(report["charts"]) >= {"anger", "urgency", "by_kind", "coverage", "trends"}
    for uri in report["charts"].values():
        assert base64.b64decode(uri.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_font_is_japanese_and_draws_every_label(report):
    from escalyzer.render.report import japanese_font, missing_glyphs
    from escalyzer.render.summary import labels

    font = japanese_font()
    assert report["font"]["name"] == font.name
    lab = labels()
    texts = "".join(list(lab["kinds"].values()) + list(lab["reasons"].values()) + list(lab["steps"].values()))
    texts += "お怒り度の分布緊急度通話数件数平静不満立腹激怒なし早めに至急緊急（）％・–"
    assert missing_glyphs(texts, font) == set()


def test_a_chart_with_japanese_labels_draws_no_tofu():
    import warnings

    import matplotlib
    from matplotlib.figure import Figure

    from escalyzer.render.report import _png, japanese_font

    font = japanese_font()
    with matplotlib.rc_context({"font.family": [font.name]}), warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would fail here
        fig = Figure()
        fig.add_subplot().set_title("お怒り度・緊急度・階層的エスカレーション")
        assert _png(fig).startswith("data:image/png;base64,")


def test_html_report_is_self_contained_and_escaped(report_html):
    html = report_html.read_text("utf-8")
    p = _static_checks(html)
    assert SCRIPT not in html and IMG not in html and "&lt;script&gt;" in html
    ids = {a.get("id") for _, a in p.tags if a.get("id")}
    for tag, a in p.tags:
        if tag == "a" and a["href"] != "#":
            from html import unescape

            assert unescape(a["href"][1:]) in {unescape(i) for i in ids}, a["href"]


def test_report_cli_reads_parquet(tmp_path, records):
    from click.testing import CliRunner

    from escalyzer.cli import cli
    from escalyzer.writers import open_writer

    pq = tmp_path / "scores.parquet"
    w = open_writer(pq)
    for r in records:
        w.write(r)
    w.close()
    res = CliRunner().invoke(cli, ["report", str(pq), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert "PII-003" in (tmp_path / "r.html").read_text("utf-8")


def test_summary_cli_writes_every_format(tmp_path, monkeypatch, analyzer):
    from click.testing import CliRunner

    import escalyzer.analyzer
    from escalyzer.cli import cli

    monkeypatch.setattr(escalyzer.analyzer, "Analyzer", lambda config=None: analyzer)  # load the models once

    for fmt, ext in (("text", "txt"), ("markdown", "md"), ("html", "html")):
        out = tmp_path / f"s.{ext}"
        res = CliRunner().invoke(cli, ["summary", str(FIX / "calls.jsonl"), "--call-id", "PII-003", "--format", fmt,
                                       "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert "PII-003" in out.read_text("utf-8")
    res = CliRunner().invoke(cli, ["summary", str(FIX / "calls.jsonl"), "--call-id", "NOPE"])
    assert res.exit_code != 0 and "NOPE" in res.output


# -- a real browser -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("Debian's chromium / chromium-driver are not installed: apt-get install -y chromium chromium-driver")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=opts, service=webdriver.ChromeService(executable_path=driver))
    d.set_page_load_timeout(30)
    yield d
    d.quit()


def _open(browser, path: Path):
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(path.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return browser


def _no_console_errors(browser):
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, severe


def _no_alert(browser):
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018


def test_browser_summary_loads_cleanly_and_shows_the_essentials(browser, summary_html):
    from selenium.webdriver.common.by import By

    b = _open(browser, summary_html)
    _no_console_errors(b)
    _no_alert(b)
    level = b.find_element(By.ID, "anger-level")
    assert level.is_displayed() and re.match(r"[0-3] (平静|不満|立腹|激怒)", level.text)
    missing = b.find_elements(By.CSS_SELECTOR, "tr.missing")
    assert missing and all(m.is_displayed() and "未確認" in m.text for m in missing)
    assert b.find_elements(By.CSS_SELECTOR, "#opening-lines li")
    assert b.execute_script("return document.scripts.length") == 0


def test_browser_summary_shows_hostile_transcript_text_as_text(browser, summary_html):
    from selenium.webdriver.common.by import By

    b = _open(browser, summary_html)
    body = b.find_element(By.TAG_NAME, "body").text
    assert SCRIPT in body and IMG in body
    assert b.execute_script("return document.querySelectorAll('img').length") == 0  # the <img> was not built
    _no_alert(b)
    _no_console_errors(b)


def test_browser_report_loads_cleanly_with_charts_and_tables(browser, report_html):
    from selenium.webdriver.common.by import By

    b = _open(browser, report_html)
    _no_console_errors(b)
    _no_alert(b)
    imgs = b.find_elements(By.CSS_SELECTOR, "figure.chart img")
    assert len(imgs) >= 5
    for img in imgs:
        assert b.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 100
    anger = b.find_element(By.CSS_SELECTOR, "table[data-table=anger]")
    assert anger.is_displayed() and "激怒" in anger.text
    heat = b.find_element(By.CSS_SELECTOR, "table[data-table=coverage]")
    assert "高木" in heat.text and SCRIPT in heat.text  # the supervisor's name, shown as text
    body = b.find_element(By.TAG_NAME, "body").text
    assert IMG in body
    assert b.execute_script("return document.scripts.length") == 0


def test_browser_report_links_reach_the_call_summaries(browser, report_html):
    from selenium.webdriver.common.by import By

    b = _open(browser, report_html)
    links = b.find_elements(By.CSS_SELECTOR, "table[data-table=ranking] a")
    assert len(links) == 4
    for a in links:
        target = a.get_attribute("href").split("#", 1)[1]
        from urllib.parse import unquote

        assert b.execute_script("return document.getElementById(arguments[0]) !== null", unquote(target))
    links[-1].click()
    _no_alert(b)


def test_browser_prints_both_pages(browser, summary_html, report_html):
    for page in (summary_html, report_html):
        b = _open(browser, page)
        pdf = b.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})
        assert base64.b64decode(pdf["data"])[:5] == b"%PDF-"
