"""The query-time parser: every form the dataset and users write, and the look-alikes that are not times."""

import logging
import random
import string

import pytest

from savenvideo.processing.query_times import find_time_mentions, parse_query_times

CASES = [
    # the dataset's own forms
    ("At 00:03:57.480, what sound is heard?", [237.48]),
    ("From 00:05:53.160 to 00:08:07.200, what happens on screen?", [353.16, 487.2]),
    ("At 00:01:02,500 a beep is heard.", [62.5]),  # SRT comma
    ("From 1:02:03 to 1:05:00.5 the scene is red.", [3723.0, 3900.5]),
    ("Options: (A) 00:00:05 (B) 00:00:10 (C) 00:00:15 (D) 00:00:20", [5.0, 10.0, 15.0, 20.0]),
    # what users write
    ("What colour is the screen at 3:57?", [237.0]),
    ("What is heard at 237 seconds?", [237.0]),
    ("What happens between 1:02 and 1:10?", [62.0, 70.0]),
    ("1:02-1:10 what is heard", [62.0, 70.0]),
    ("Describe the scene at 1h 2m.", [3720.0]),
    ("What plays at 90s?", [90.0]),
    ("What is shown at 12.5 s?", [12.5]),
    ("1h2m3s in, what do we see?", [3723.0]),
    ("At 2m 30s what colour is it?", [150.0]),
    ("At 1 hour 2 minutes and 3 seconds, who speaks?", [3723.0]),
    ("At 1.5 hours what happens?", [5400.0]),
    ("What happens between 5 and 10 seconds?", [5.0, 10.0]),
    ("from 2 to 3 minutes", [120.0, 180.0]),
    ("at 5 s and at 7 s", [5.0, 7.0]),
    ("At the 90-second mark, what is heard?", [90.0]),
    ("2 minutes into the video, a bell rings.", [120.0]),
    # look-alikes that are not time points
    ("Which of the 3 options is right?", []),
    ("The frame has a 1:1 ratio.", []),
    ("The video is 16:9 widescreen.", []),
    ("The meeting is at 3:45 pm.", []),
    ("What music from the 90s plays?", []),
    ("Music of the 1990s.", []),
    ("It was recorded in 2019 with 4 cameras.", []),
    ("A 2m tall man walks by.", []),
    ("Encoded with H.264 at 30fps.", []),
    ("The tone lasts for 5 seconds.", []),
    ("What happens 10 seconds after the bark?", []),
    ("In the first 30 seconds, what is heard?", []),
    ("A 30-second clip shows a dog.", []),
    ("After 500 ms of silence, what comes?", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_parse_table(text, expected):
    assert [round(t, 3) for t in parse_query_times(text).times] == expected


def test_table_is_large_enough():
    assert len(CASES) >= 25
    assert sum(1 for _, expected in CASES if not expected) >= 10  # false-positive guards


def test_times_beyond_the_duration_are_clipped_and_flagged(caplog):
    with caplog.at_level(logging.WARNING):
        result = parse_query_times("At 00:10:00 and at 5 s, what happens?", duration=60.0, source="clip.mp4")
    assert result.times == [60.0, 5.0]
    assert result.raw == [600.0, 5.0]
    assert result.clipped
    assert "clip.mp4" in caplog.text and "clipped" in caplog.text


def test_no_clipping_within_the_duration():
    result = parse_query_times("At 0:30?", duration=60.0)
    assert result.times == [30.0] and not result.clipped


def test_spans_point_at_the_text():
    text = "What happens between 1:02 and 1:10?"
    spans = [text[a:b] for a, b, _ in find_time_mentions(text)]
    assert spans == ["1:02", "1:10"]


def test_duplicates_are_kept_once():
    assert parse_query_times("At 1:00, and again at 1:00 and 60 s").times == [60.0]


@pytest.mark.parametrize("value", [None, 12, b"00:01", ["00:01"]])
def test_non_strings_give_no_times(value):
    assert parse_query_times(value).times == []


def test_never_raises_on_random_text():
    rng = random.Random(0)
    alphabet = string.printable + "–’"
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        result = parse_query_times(text, duration=rng.choice([None, 0.0, 10.0]))
        assert all(t >= 0 for t in result.times)
