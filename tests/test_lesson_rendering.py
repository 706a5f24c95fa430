"""Lessons rendered for Telegram: the tags it accepts, pages cut between blocks, the callbacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content.library import load_content
from bot.content.pages import PAGE_TEXT_LIMIT, PageTooLong, paginate
from bot.content.telegram_html import markdown_blocks, markdown_to_telegram_html, measure
from bot.lessons import callbacks
from bot.offline.fake_bot_api import _TelegramHtml
from bot.settings import PROJECT_ROOT, SUPPORTED_LOCALES

RISK_TOPICS = ("how-between-works", "self-compassion", "setbacks", "asking-for-support")


def telegram_accepts(text: str) -> str:
    """The plain text Telegram would show; raises like Telegram on HTML it refuses."""
    return _TelegramHtml(text).parse().plain


def test_markdown_becomes_telegrams_small_tag_set():
    source = (
        "# A heading\n\nSome **bold**, _italic_, ~~gone~~, `code` and "
        "[a link](https://example.org/?a=1&b=2).\n\n- one\n- two\n  - nested\n\n"
        "1. first\n2. second\n\n> a quote\n"
    )
    assert markdown_blocks(source) == [
        "<b>A heading</b>\nSome <b>bold</b>, <i>italic</i>, <s>gone</s>, <code>code</code> and "
        '<a href="https://example.org/?a=1&amp;b=2">a link</a>.',
        "• one\n• two\n    • nested",
        "1. first\n2. second",
        "<blockquote>a quote</blockquote>",
    ]


def test_a_heading_stays_with_its_text_so_no_page_ends_with_one():
    blocks = markdown_blocks("Intro.\n\n## Next part\n\nIts text.\n\n## Last")
    assert blocks == ["Intro.", "<b>Next part</b>\nIts text.", "<b>Last</b>"]
    pages = paginate(["x" * 50, *blocks], target=60)
    assert pages == ["x" * 50 + "\n\nIntro.", "<b>Next part</b>\nIts text.\n\n<b>Last</b>"]


def test_raw_html_and_unsafe_links_are_shown_as_text():
    html = markdown_to_telegram_html(
        "<script>x</script> & <b>bold?</b> [click](javascript:alert(1))"
    )
    assert "<script>" not in html and "<b>" not in html and "<a " not in html
    assert telegram_accepts(html).startswith("<script>x</script> & <b>bold?</b> ")
    assert markdown_to_telegram_html("[click](ftp://example.org)") == "click"


def test_a_link_to_another_lesson_reads_as_its_text():
    # Lessons name each other as [title](lesson:<id>); the content check verifies the id.
    assert markdown_to_telegram_html("See [Worry time](lesson:worry-time).") == "See Worry time."


@given(st.text(max_size=400))
def test_any_markdown_renders_to_html_telegram_accepts(source: str):
    telegram_accepts(markdown_to_telegram_html(source) or "x")


def test_pages_are_cut_between_blocks_and_stay_under_the_target():
    blocks = [f"<b>Block {n}</b> " + "word " * 60 for n in range(12)]
    pages = paginate(blocks, target=800)
    assert len(pages) > 1
    assert "\n\n".join(pages) == "\n\n".join(blocks)  # nothing lost, nothing split
    for page in pages:
        assert measure(page)[0] <= 800
        telegram_accepts(page)


def test_a_block_too_long_for_any_message_is_refused():
    with pytest.raises(PageTooLong, match="paragraph 2 is too long"):
        paginate(["short", "x" * (PAGE_TEXT_LIMIT + 1)])


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_shipped_lesson_is_2_to_4_minutes_and_ends_with_something_to_do(locale: str):
    library, problems = load_content(PROJECT_ROOT / "content", SUPPORTED_LOCALES)
    assert problems == []
    lessons = library.lessons[locale]
    assert len(lessons) >= 13
    for lesson in lessons.values():
        words = len((lesson.body + " " + (lesson.meta.try_this or "")).split())
        assert 300 <= words <= 550, (lesson.id, words)
        assert 2 <= lesson.meta.minutes <= 4
        assert lesson.meta.reflection.strip()
        for page in library.pages(lesson, "Try"):
            telegram_accepts(page)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("lesson_id", RISK_TOPICS)
def test_lessons_that_touch_risk_point_to_help(locale: str, lesson_id: str):
    library, _ = load_content(PROJECT_ROOT / "content", SUPPORTED_LOCALES)
    lesson = library.lessons[locale][lesson_id]
    assert "/help" in lesson.body


def test_the_same_ids_exist_in_every_language():
    library, _ = load_content(PROJECT_ROOT / "content", SUPPORTED_LOCALES)
    ids = {locale: set(library.lessons[locale]) for locale in SUPPORTED_LOCALES}
    assert ids["en"] == ids["de"] == ids["es"]


def test_callback_data_round_trips_and_stays_within_64_bytes():
    biggest = 2**31 - 1  # the biggest id an INTEGER column holds (PostgreSQL)
    for data in (
        callbacks.page(biggest, 99),
        callbacks.open_again(biggest),
        callbacks.done(biggest),
        callbacks.skip_reflection(biggest),
        callbacks.quiz_answer(biggest, 2, 3),
    ):
        assert len(data.encode()) <= 64
        decoded = callbacks.decode(data)
        assert decoded is not None and decoded.encode() == data


@pytest.mark.parametrize(
    "data", ["", "lp", "lp:1", "lp:1:2:3", "lq:1:2", "lp:-1:0", "lp:x:1", "zz:1", None, "ld:1:"]
)
def test_malformed_callback_data_decodes_to_nothing(data: str | None):
    assert callbacks.decode(data) is None


def test_fixture_folder_exists():
    assert (Path(__file__).parent / "fixtures" / "content" / "valid").is_dir()
