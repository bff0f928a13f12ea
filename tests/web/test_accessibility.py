"""The pages' basic accessibility, read from their files (no browser needed): every input
has a label, every button a name, the documents a language, and every colour pair the
stylesheet uses for text meets WCAG AA (4.5:1)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

import pytest

from cti.api.pages import WEB

PAGES: Final = ("signin.html", "wallboard.html")
CSS: Final = (WEB / "app.css").read_text()
# (text, background) as the stylesheet pairs them: badges, the bar, tiles, link states.
PAIRS: Final = [
    ("--paper", "--ready"), ("--paper", "--busy"), ("--paper", "--wrap"),
    ("--paper", "--away"), ("--paper", "--off"), ("--ink", "--paper"), ("--ink", "--panel"),
    ("--muted", "--paper"), ("--muted", "--panel"), ("--paper", "--ink"),
    ("#0b4f23", "#d9f2e1"), ("#7a1010", "#fde2e2"), ("#8a1010", "--panel"),
    # The thresholds' flags and the AMI banner (issue 14).
    ("--warn-ink", "--warn-bg"), ("--alert-ink", "--alert-bg"), ("--ok-ink", "--ok-bg"),
    # The supervisor's actions (C8): the chosen row, the monitoring bar, a pressed mode,
    # a disabled button, a danger button, a failed outcome, an outage notice (P20).
    ("--ink", "#e3ecfb"), ("--muted", "#e3ecfb"), ("--paper", "--busy"), ("--muted", "--paper"),
    ("--away", "--paper"), ("--away", "--panel"), ("#8a1010", "#e3ecfb"),
]  # fmt: skip
# Lines that tell a level beside the flag (a tile's or an alert's edge): WCAG 1.4.11 asks
# 3:1 of a graphical object against what surrounds it.
EDGES: Final = [
    ("--warn-line", "--panel"), ("--warn-line", "--paper"),
    ("--alert-line", "--panel"), ("--alert-line", "--paper"),
]  # fmt: skip
SCRIPT: Final = (WEB / "format.js").read_text()  # the levels in words


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[int, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        if self.found and data.strip():
            index = len(self.found) - 1
            self.texts[index] = self.texts.get(index, "") + data.strip()


def parsed(name: str) -> Elements:
    elements = Elements()
    elements.feed((WEB / name).read_text())
    return elements


@pytest.mark.parametrize("name", PAGES)
def test_every_input_is_labelled_every_button_named_and_the_language_given(name: str) -> None:
    page = parsed(name)
    tags = [tag for tag, _ in page.found]
    labels = {attrs.get("for") for tag, attrs in page.found if tag == "label"}
    assert ("html", {"lang": "en"}) in page.found
    for index, (tag, attrs) in enumerate(page.found):
        if tag == "input":
            assert attrs.get("id") in labels, (name, attrs)
        if tag == "button":
            assert page.texts.get(index), (name, attrs)
    assert "title" in tags


def colour(value: str) -> tuple[float, float, float]:
    if value.startswith("--"):
        found = re.search(rf"{value}:\s*(#[0-9a-fA-F]{{6}})", CSS)
        assert found, value
        value = found[1]
    return tuple(int(value[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def luminance(rgb: tuple[float, float, float]) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(colour(one)), luminance(colour(other))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_colours_meet_wcag_aa_on_their_backgrounds(text: str, background: str) -> None:
    ratio = contrast(text, background)
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"


@pytest.mark.parametrize(("line", "background"), EDGES)
def test_the_level_edges_stand_out_from_their_backgrounds(line: str, background: str) -> None:
    ratio = contrast(line, background)
    assert ratio >= 3, f"{line} on {background}: {ratio:.2f}:1"


def test_a_level_is_never_told_by_colour_alone() -> None:
    """Every level the stylesheet colours has its words and icon in the page's script
    (issue 14: "⚠ warn", "✖ alert"), and the flags' colours are the pairs tested above."""
    coloured = set(re.findall(r"\.flag\.(\w+) \{", CSS))
    words = dict(re.findall(r'(\w+): "([^"]+)"', re.search(r"LEVEL_TEXT = \{([^}]*)\}", SCRIPT)[1]))
    assert coloured == {"ok", "warn", "alert"}
    for level in coloured:
        assert level in words[level] and not words[level][0].isalnum(), words


def test_the_alerts_are_a_live_log_with_a_name() -> None:
    """New alerts are announced (role="log", aria-live) and the list is named."""
    page = parsed("wallboard.html")
    found = next(attrs for tag, attrs in page.found if attrs.get("id") == "alerts")
    assert (found.get("role"), found.get("aria-live")) == ("log", "polite")
    assert found.get("aria-labelledby") == "alerts-title"
    assert ("h2", {"id": "alerts-title"}) in page.found
    assert found.get("tabindex") == "0"  # it scrolls: reachable by keyboard
