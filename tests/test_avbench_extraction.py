"""The AVBench answer extractor against outputs real models write: what must be read, and what must be refused."""

import pytest

from savenvideo.evaluate_metrics.avbench_accuracy.answer_extraction import RULES, extract_answer, option_texts

SCENE = (
    "The man is playing the guitar",
    "A dog barks at the door",
    "The woman sings a slow song",
    "Rain falls on a tin roof",
)
TIMES = (
    "00:10:28.120 - 00:11:52.840",
    "00:01:30.200 - 00:03:57.440",
    "00:03:57.480 - 00:05:53.120",
    "00:08:07.240 - 00:10:28.080",
)
YES_NO = ("yes", "no")
LABELLED = ("A. Apples.", "B. Candles.", "C. Berries.", "D. None of them.")
INVALID = None

# (model output, options or None, the letter that must be extracted or INVALID)
CASES = [
    # a bare letter, dressed in every common way
    ("C", None, "C"),
    ("c", None, "C"),
    ("(C)", None, "C"),
    ("C.", None, "C"),
    ("C)", None, "C"),
    ("[C]", None, "C"),
    ("**C**", None, "C"),
    ("'C'", None, "C"),
    ("  B  \n", None, "B"),
    ("Ｃ", None, "C"),
    ("（Ｂ）", None, "B"),
    ("d.", None, "D"),
    ("Option B", None, "B"),
    ("Answer: c", None, "C"),
    ("ANSWER: B", None, "B"),
    ("**Answer:** **C**", None, "C"),
    ("Answer - B", None, "B"),
    ("answer:\n\nD", None, "D"),
    ("The answer is C", None, "C"),
    ("The answer is (c).", None, "C"),
    ("The best answer is D.", None, "D"),
    ("a", None, "A"),
    # explicit answer statements inside longer text
    ("I think the answer is B.", None, "B"),
    ("Sure! The correct answer is **B**. The dog barks twice.", None, "B"),
    ("The correct option would be D.", None, "D"),
    ("Based on the audio and the visuals, the answer to this question is A.", None, "A"),
    ("The final answer: (B)", None, "B"),
    ("I choose option a.", None, "A"),
    ("I'd go with option B.", None, "B"),
    ("I would pick C because the singer is a woman.", None, "C"),
    ("I'd say B.", None, "B"),
    ("C is wrong, the answer is B", None, "B"),
    ("Let's check each option. A) is wrong. B) is wrong. Therefore, the answer is C.", None, "C"),
    ("(C) is the correct answer.", None, "C"),
    ("Option D is the best choice here.", None, "D"),
    ("It's C.", None, "C"),
    ("The music gets louder as the crowd cheers, so B.", None, "B"),
    ("Final Answer: \\boxed{D}", None, "D"),
    ("The answer is option C: the woman sings.", None, "C"),
    ("Option A is wrong because nobody plays. So the answer is C.", None, "C"),
    ("A. cat\nB. dog\nC. bird\nD. fish\nAnswer: B", None, "B"),
    ("The answer is B; it is not A or C.", None, "B"),
    ("A and B are both wrong; C is correct", None, "C"),
    ("<think>Maybe A? Or B? The bell rings twice...</think>\nThe answer is C", None, "C"),
    # a labelled letter leading the answer
    ("C) The woman sings a slow song", SCENE, "C"),
    ("Option C: The woman sings", SCENE, "C"),
    ("B\n\nExplanation: the dog barks at the door.", SCENE, "B"),
    ("D: rain on a roof", SCENE, "D"),
    ("(A) The man is playing the guitar.", SCENE, "A"),
    # a letter marked as a choice somewhere
    ("Based on the video, B.", None, "B"),
    ("Looking at the scene, option C fits best.", None, "C"),
    ("My pick:\nD", None, "D"),
    # the text of one option instead of a letter
    ("A dog barks at the door", SCENE, "B"),
    ("The woman sings a slow song.", SCENE, "C"),
    ("the man is playing the guitar", SCENE, "A"),
    ("The answer is: the woman sings a slow song", SCENE, "C"),
    ("Rain falls on a tin roof, which explains the drumming sound.", SCENE, "D"),
    ("I believe a dog barks at the door while the lights flicker.", SCENE, "B"),
    ("00:08:07.240 - 00:10:28.080", TIMES, "D"),
    ("The event happens in 00:01:30.200 - 00:03:57.440.", TIMES, INVALID),
    ("00:01:30.200 - 00:03:57.440 is when they prepare.", TIMES, "B"),
    ("D: 00:08:07.240 - 00:10:28.080", TIMES, "D"),
    ("Yes", YES_NO, "A"),
    ("No, the cello stops halfway.", YES_NO, "B"),
    ("Berries", LABELLED, "C"),
    ("None of them.", LABELLED, "D"),
    # refusals: alternatives, several letters, letters inside words, English words that look like letters
    ("A or B", None, INVALID),
    ("The answer is A or B", None, INVALID),
    ("It could be either A or C.", None, INVALID),
    ("(A)/(B)", None, INVALID),
    ("B, C", None, INVALID),
    ("The answer is C and D", None, INVALID),
    ("Answer: B. No wait, the answer is D.", None, INVALID),
    ("A. cat\nB. dog\nC. bird", None, INVALID),
    ("A) incorrect B) incorrect C) correct", None, INVALID),
    ("Answer: A\nAnswer: B", None, INVALID),
    ("The correct answer is (A) or (B)", None, INVALID),
    ("(A) the bell rings (C) the crowd cheers", None, INVALID),
    ("C. A dog barks at the door", SCENE, INVALID),
    ("Because the CD player skips", None, INVALID),
    ("The answer is Bach", None, INVALID),
    ("Vitamin C is good for you", None, INVALID),
    ("The answer is A's", None, INVALID),
    ("I", None, INVALID),
    ("I don't know.", None, INVALID),
    ("The answer is a dog", None, INVALID),
    ("A man is playing the violin.", SCENE, INVALID),
    ("The man is playing the guitar while the woman sings a slow song.", SCENE, INVALID),
    ("Either a dog barks at the door or rain falls on a tin roof.", SCENE, INVALID),
    ("The answer is not A.", None, INVALID),
    ("None of the options is correct.", SCENE, INVALID),
    ("", None, INVALID),
    ("   ", None, INVALID),
    ("<think>The bell rings twice so it must be", None, INVALID),
    ("E", None, INVALID),
    ("The answer is E", None, INVALID),
    ("C", YES_NO, INVALID),
    ("two", ("one", "two", "three", "twenty two"), "B"),
    ("There are two or three people.", ("one", "two", "three", "four"), INVALID),
]


def test_the_table_is_large_and_covers_every_rule():
    assert len(CASES) >= 60
    rules = {extract_answer(output, options).rule for output, options, _ in CASES}
    assert {name for name, _ in RULES} <= rules | {"hedged", "no_answer"}
    assert {"bare_letter", "answer_statement", "leading_letter", "marked_letter", "option_text"} <= rules


@pytest.mark.parametrize(("output", "options", "expected"), CASES)
def test_extracts_the_letter_or_refuses(output, options, expected):
    extraction = extract_answer(output, options)
    assert extraction.letter == expected, f"{output!r} -> {extraction}"
    assert extraction.is_valid == (expected is not None)


def test_refusals_say_why():
    assert extract_answer("A or B").rule == "hedged"
    assert extract_answer("E").rule == "letter_out_of_range"
    assert extract_answer("").rule == "empty"
    assert extract_answer("<think>still thinking").rule == "unfinished_reasoning"
    assert extract_answer(None).rule == "not_text"
    assert extract_answer("C. A dog barks at the door", SCENE).rule == "letter_contradicts_option_text"


def test_option_labels_are_dropped_only_when_they_match_the_position():
    assert option_texts(LABELLED) == ["apples", "candles", "berries", "none of them"]
    assert option_texts(("B. not a label here", "x")) == ["b not a label here", "x"]
