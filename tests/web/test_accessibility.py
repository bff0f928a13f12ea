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
]  # fmt: skip


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


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_colours_meet_wcag_aa_on_their_backgrounds(text: str, background: str) -> None:
    light, dark = sorted((luminance(colour(text)), luminance(colour(background))), reverse=True)
    ratio = (light + 0.05) / (dark + 0.05)
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"
