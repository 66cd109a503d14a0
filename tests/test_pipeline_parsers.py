"""Parsers of model replies: the formats models really produce are read, structural mistakes are named."""

import pytest

from savenvideo.dataset_scripts.pipeline_parsers import (
    OptionSet,
    ParseError,
    parse_caption,
    parse_letter,
    parse_options,
    parse_questions,
    parse_time_choice,
)

FIVE = "\n".join(f"Question {n}: What happens in part {n}?" for n in range(1, 6))


def reason_of(function, text, *args):
    with pytest.raises(ParseError) as caught:
        function(text, *args)
    return caught.value.reason


# --- questions ---------------------------------------------------------------------------------------------


def test_questions_in_the_requested_format():
    assert parse_questions(FIVE) == [f"What happens in part {n}?" for n in range(1, 6)]


@pytest.mark.parametrize(
    "text",
    [
        "Sure! Here are the questions.\n\n" + FIVE + "\n\nI hope these help.",  # prose around the list
        "```\n" + FIVE + "\n```",  # a Markdown fence
        "\n".join(f"**Question {n}:** What happens in part {n}?" for n in range(1, 6)),  # bold labels
        "\n".join(f"{n}. What happens in part {n}?" for n in range(1, 6)),  # a plain numbered list
        "\n".join(f"Q{n}) What happens in part {n}?" for n in range(1, 6)),
        '["What happens in part 1?", "What happens in part 2?", "What happens in part 3?", '
        '"What happens in part 4?", "What happens in part 5?"]',  # JSON list
        '```json\n{"questions": ['
        + ", ".join(f'{{"question": "What happens in part {n}?"}}' for n in range(1, 6))
        + "]}\n```",
    ],
)
def test_questions_in_other_formats(text):
    assert parse_questions(text) == [f"What happens in part {n}?" for n in range(1, 6)]


def test_question_continued_on_the_next_line():
    text = FIVE.replace("Question 2: What happens in part 2?", "Question 2: What happens\nin part 2?")
    assert parse_questions(text)[1] == "What happens in part 2?"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   \n  ", "empty"),
        (None, "empty"),
        ("I cannot write questions about this video.", "no_questions"),
        ("\n".join(FIVE.splitlines()[:4]), "too_few_questions"),
        (FIVE + "\nQuestion 6: One more?", "too_many_questions"),
        (FIVE.replace("Question 3:", "Question 2:"), "bad_numbering"),  # a repeated number
        (FIVE.replace("Question 3:", "Question 7:"), "bad_numbering"),  # a gap
        ("\n".join(reversed(FIVE.splitlines())), "bad_numbering"),  # out of order
        (FIVE.replace("What happens in part 4?", ""), "empty_question"),
        ('["only one"]', "too_few_questions"),
        ("[1, 2, 3, 4, 5]", "bad_json"),
        ('{"questions": ["a", "b",', "bad_json"),
    ],
)
def test_malformed_questions(text, reason):
    assert reason_of(parse_questions, text) == reason


# --- options -----------------------------------------------------------------------------------------------

GOOD_OPTIONS = "Correct option: The bell rings as the door opens.\nOption 1: A dog barks.\nOption 2: Rain falls.\nOption 3: Music plays."
EXPECTED = OptionSet("The bell rings as the door opens.", ("A dog barks.", "Rain falls.", "Music plays."))


@pytest.mark.parametrize(
    "text",
    [
        GOOD_OPTIONS,
        "Here you go:\n" + GOOD_OPTIONS + "\n\nThese options are hard.",
        GOOD_OPTIONS.replace("Correct option:", "**Correct option:**").replace("Option 1:", "**Option 1:**"),
        GOOD_OPTIONS.replace("Option ", "Incorrect option "),
        GOOD_OPTIONS.replace("Correct option: ", "Correct answer: A) "),  # a letter label is removed
        '{"correct": "The bell rings as the door opens.", "wrong": ["A dog barks.", "Rain falls.", "Music plays."]}',
        '```json\n{"Correct option": "The bell rings as the door opens.", '
        '"incorrect options": ["A dog barks.", "Rain falls.", "Music plays."]}\n```',
    ],
)
def test_options_formats(text):
    assert parse_options(text) == EXPECTED


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("Option 1: A dog barks.\nOption 2: Rain falls.\nOption 3: Music plays.", "no_correct_option"),
        (GOOD_OPTIONS + "\nCorrect option: Something else.", "several_correct_options"),
        ('{"correct": ["a", "b"], "wrong": ["c", "d", "e"]}', "several_correct_options"),
        ("\n".join(GOOD_OPTIONS.splitlines()[:3]), "too_few_wrong_options"),  # a missing option
        ("Correct option: The bell rings.", "too_few_wrong_options"),
        (GOOD_OPTIONS + "\nOption 4: Birds sing.", "too_many_wrong_options"),
        (GOOD_OPTIONS.replace("Option 2:", "Option 1:"), "bad_numbering"),
        (GOOD_OPTIONS.replace("Option 3:", "Option 5:"), "bad_numbering"),
        (GOOD_OPTIONS.replace("Rain falls.", ""), "empty_option"),
        ('{"correct": "x", "wrong": "y"}', "bad_json"),
        ('["x", "y", "z", "w"]', "bad_json"),
    ],
)
def test_malformed_options(text, reason):
    assert reason_of(parse_options, text) == reason


# --- letters, time ranges, captions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "letter"),
    [("B", "B"), (" (c) ", "C"), ("D.", "D"), ("Answer: A", "A"), ("The answer is (B).", "B"), ("C. Rain falls", "C")],
)
def test_letters(text, letter):
    assert parse_letter(text) == letter


@pytest.mark.parametrize("text", ["", "A man walks in.", "E", "I am not sure."])
def test_no_letter(text):
    assert reason_of(parse_letter, text) in ("no_letter",)


RANGES = [(0.0, 12.5), (12.5, 30.0), (30.0, 61.25), (61.25, 90.0)]


@pytest.mark.parametrize(
    "text",
    [
        "From 00:00:30.000 to 00:01:01.250",
        "Correct option: From 00:00:30.000 to 00:01:01.250",
        "00:00:30.000 - 00:01:01.250",
    ],
)
def test_time_choice(text):
    assert parse_time_choice(text, RANGES) == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("The third interval.", "no_time_range"),
        ("From 00:00:31.000 to 00:01:01.250", "unknown_time_range"),
        ("From 00:00:00.000 to 00:00:12.500\nFrom 00:00:30.000 to 00:01:01.250", "several_time_ranges"),
    ],
)
def test_bad_time_choice(text, reason):
    assert reason_of(parse_time_choice, text, RANGES) == reason


def test_caption():
    assert parse_caption('  "A red door opens."  ') == "A red door opens."
    assert parse_caption("```\nA red door opens.\n```") == "A red door opens."
    assert reason_of(parse_caption, "  ") == "empty"
