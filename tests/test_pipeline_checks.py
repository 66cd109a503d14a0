"""Question checks with (fake) models: bounded retries, the leakage and support judges, balanced answer letters."""

import random
import re
from collections import Counter

import pytest

from savenvideo.dataset_scripts.avbench_records import CHOOSE_TIME_RANGE, NO_TIMESTAMP, TIMESTAMP_IN_QUESTION
from savenvideo.dataset_scripts.engine_echo import EchoEngine
from savenvideo.dataset_scripts.engine_messages import message_text
from savenvideo.dataset_scripts.pipeline_calls import Caller
from savenvideo.dataset_scripts.pipeline_config import PipelineConfig
from savenvideo.dataset_scripts.pipeline_engines import EnginePool
from savenvideo.dataset_scripts.pipeline_judges import checks
from savenvideo.dataset_scripts.pipeline_letters import LETTERS, Unplaced, place_options
from savenvideo.dataset_scripts.pipeline_questions import options, questions
from savenvideo.dataset_scripts.pipeline_segments import Segmenter
from savenvideo.dataset_scripts.pipeline_stages import StageContext, Task
from savenvideo.dataset_scripts.pipeline_videos import Video

FUSED = {"audio": "From 00:00:00.000 to 00:00:10.000: a bell.", "visual": "...: a door.", "audio_visual": "...: both."}
CLIPS = [[0.0, 10.0], [10.0, 20.0], [20.0, 30.0], [30.0, 40.0]]


def user_text(request):
    return message_text(request.messages[-1])


def shown_options(request):
    return dict(re.findall(r"^([A-D])\. (.*)$", user_text(request), re.MULTILINE))


def letter_of(request, text):
    return next(letter for letter, option in shown_options(request).items() if option == text)


class Recorder(EchoEngine):
    """An echo engine that scripts replies and keeps every request."""

    def __init__(self, reply):
        super().__init__(reply=reply)
        self.requests = []

    def generate(self, requests):
        self.requests.extend(requests)
        return super().generate(requests)


def make_context(given, **sections):
    config = PipelineConfig.from_mapping(sections)
    return StageContext(config, Caller(config, EnginePool(config, given)), Segmenter(config.segmentation))


def task(video_id="v", **inputs):
    return Task(Video(video_id, f"{video_id}.mp4", f"/nowhere/{video_id}.mp4"), inputs)


def entry(number, question, correct="RIGHT", wrong=("W1", "W2", "W3")):
    kinds = {
        1: NO_TIMESTAMP,
        2: NO_TIMESTAMP,
        3: TIMESTAMP_IN_QUESTION,
        4: TIMESTAMP_IN_QUESTION,
        5: CHOOSE_TIME_RANGE,
    }
    return {
        "number": number,
        "question": question,
        "question_type": kinds[number],
        "correct": correct,
        "wrong": list(wrong),
    }


# --- leakage and support -----------------------------------------------------------------------------------


def test_leakage_check_drops_what_a_text_only_model_answers():
    def text_only(request):
        # knows the answer of the leaky question from its wording; otherwise always picks a wrong option
        if "LEAKY" in user_text(request):
            return letter_of(request, "RIGHT")
        return letter_of(request, "W2")

    judge = Recorder(text_only)
    support = Recorder(lambda request: letter_of(request, "RIGHT"))
    ctx = make_context({"judge": judge, "text": support}, engines={"judge": {"kind": "echo"}})
    inputs = {
        "video_fusion": FUSED,
        "options": {"questions": [entry(1, "Plain question?"), entry(2, "LEAKY question?")]},
    }
    result = checks(ctx, [task(**inputs)])["v"]["ok"]["questions"]
    assert result == [
        {"number": 1, "kept": True},
        {"number": 2, "kept": False, "reason": "answerable_without_media", "detail": ""},
    ]
    assert len(judge.requests) == 2 * ctx.config.checks.leakage_trials
    assert all("RIGHT" in user_text(r) and FUSED["audio"] not in user_text(r) for r in judge.requests)  # no captions
    assert len(support.requests) == 1 and FUSED["audio"] in user_text(support.requests[0])  # only the survivor


def test_leakage_trials_show_the_options_in_different_orders():
    judge = Recorder(lambda request: "A")  # a model that cannot tell
    support = Recorder(lambda request: letter_of(request, "RIGHT"))
    ctx = make_context({"judge": judge, "text": support})
    tasks = [
        task(f"v{n}", video_fusion=FUSED, options={"questions": [entry(1, f"Question {n}?")]}) for n in range(400)
    ]
    results = checks(ctx, tasks)
    dropped = sum(not r["ok"]["questions"][0]["kept"] for r in results.values())
    assert 8 <= dropped <= 45  # 1/16 of 400 = 25 expected, not the 1/4 a single trial would drop


def test_support_check_drops_unsupported_and_unanswered_questions():
    def reader(request):
        if "GARBLED" in user_text(request):
            return "I would need to see the video."
        if "WRONG-KEY" in user_text(request):
            return letter_of(request, "W1")
        return letter_of(request, "RIGHT")

    support = Recorder(reader)
    ctx = make_context({"text": support}, checks={"leakage": False, "max_attempts": 2})
    entries = [entry(1, "Fine?"), entry(2, "WRONG-KEY?"), entry(3, "At 00:00:05.000, GARBLED?")]
    result = checks(ctx, [task(video_fusion=FUSED, options={"questions": entries})])["v"]["ok"]["questions"]
    assert [(q["number"], q["kept"], q.get("reason")) for q in result] == [
        (1, True, None),
        (2, False, "not_supported_by_captions"),
        (3, False, "support_unanswered"),
    ]
    assert sum("GARBLED" in user_text(r) for r in support.requests) == 2  # bounded retries


def test_single_modality_check():
    def reader(request):
        text = user_text(request)
        if "What is seen in this video" in text:
            return letter_of(request, "RIGHT" if "VISUAL-ONLY" in text else "W1")
        if "What is heard in this video" in text:
            return letter_of(request, "W3")
        return letter_of(request, "RIGHT")

    ctx = make_context({"text": Recorder(reader)}, checks={"leakage": False, "single_modality": True})
    entries = [entry(1, "Needs both?"), entry(2, "VISUAL-ONLY?")]
    result = checks(ctx, [task(video_fusion=FUSED, options={"questions": entries})])["v"]["ok"]["questions"]
    assert [q.get("reason") for q in result] == [None, "answerable_from_visual_only"]


# --- questions and options with retries --------------------------------------------------------------------

FIVE = [
    "Which sound goes with the red door?",
    "What is shown while the bell rings at 00:00:03.000?",  # breaks rule 2
    "At 00:00:05.000, what is heard as the lamp flickers?",
    "From 00:00:10.000 to 00:00:20.000, how does the crowd sound?",
    "When does the dog bark as the cyclist passes?",
]
GOOD = "Correct option: RIGHT {n}\nOption 1: wrong a {n}\nOption 2: wrong b {n}\nOption 3: wrong c {n}"


def test_questions_are_retried_then_the_video_fails_with_the_reason():
    engine = Recorder(lambda request: "Question 1: only one?")
    ctx = make_context({"text": engine}, checks={"max_attempts": 3})
    result = questions(ctx, [task(video_fusion=FUSED)])["v"]
    assert result == {"failed": {"reason": "too_few_questions", "detail": "1 questions, expected 5"}}
    assert len(engine.requests) == 3
    assert len({r.seed for r in engine.requests}) == 3  # every attempt samples anew
    assert [r.temperature for r in engine.requests] == [0.7, 0.7, 0.7]


def test_options_stage_screens_retries_and_builds_time_ranges():
    def writer(request):
        call, attempt = request.request_id.split("#")
        number = call.rsplit("/", 1)[1]
        if "/time_range/" in call:
            return "From 00:00:20.000 to 00:00:30.000"
        if number == "4":
            return "Correct option: x\nCorrect option: y"  # always broken
        if number == "3" and attempt == "0":
            return "Option 1: no correct option"  # broken once
        return GOOD.format(n=number)

    engine = Recorder(writer)
    ctx = make_context({"text": engine})
    inputs = {"segments": {"duration": 40.0, "clips": CLIPS}, "video_fusion": FUSED, "questions": {"questions": FIVE}}
    result = options(ctx, [task(**inputs)])["v"]["ok"]["questions"]
    by_number = {q["number"]: q for q in result}
    assert by_number[1]["correct"] == "RIGHT 1" and by_number[1]["wrong"] == ["wrong a 1", "wrong b 1", "wrong c 1"]
    assert by_number[2]["dropped"]["reason"] == "time_in_untimed_question"
    assert by_number[3]["correct"] == "RIGHT 3"
    assert by_number[4]["dropped"]["reason"] == "several_correct_options"
    assert by_number[5]["correct"] == "From 00:00:20.000 to 00:00:30.000"
    assert sorted(by_number[5]["wrong"]) == [
        "From 00:00:00.000 to 00:00:10.000",
        "From 00:00:10.000 to 00:00:20.000",
        "From 00:00:30.000 to 00:00:40.000",
    ]
    assert Counter(r.request_id.split("#")[0].rsplit("/", 1)[1] for r in engine.requests) == {
        "1": 1,
        "3": 2,
        "4": 3,
        "5": 1,
    }


def test_time_range_question_needs_four_segments():
    ctx = make_context({"text": Recorder(lambda request: GOOD.format(n=0))})
    inputs = {
        "segments": {"duration": 30.0, "clips": CLIPS[:3]},
        "video_fusion": FUSED,
        "questions": {"questions": FIVE},
    }
    result = options(ctx, [task(**inputs)])["v"]["ok"]["questions"]
    assert result[4]["dropped"]["reason"] == "too_few_segments_for_time_range"


def test_an_engine_that_crashes_fails_only_its_calls():
    class Broken(EchoEngine):
        def generate(self, requests):
            raise ConnectionError("server gone")

    ctx = make_context({"text": Broken()}, checks={"max_attempts": 2})
    result = questions(ctx, [task(video_fusion=FUSED)])["v"]
    assert result["failed"]["reason"] == "engine_error" and "server gone" in result["failed"]["detail"]
    assert ctx.caller.stats.requests == 2


# --- balanced answer letters -------------------------------------------------------------------------------


def unplaced(count, seed=0):
    rng = random.Random(seed)
    kinds = [NO_TIMESTAMP] * 2 + [TIMESTAMP_IN_QUESTION] * 2 + [CHOOSE_TIME_RANGE]
    return [
        Unplaced(
            f"video{index // 5:03d}-q{index % 5 + 1}",
            kinds[index % 5],
            f"right {index}",
            tuple(f"wrong {index} {k}" for k in range(3)),
        )
        for index in rng.sample(range(count), count)
    ]


def test_letters_are_exactly_balanced_overall_and_per_type():
    questions = unplaced(400)
    placed = place_options(questions, seed=7)
    assert Counter(p.answer for p in placed.values()) == dict.fromkeys(LETTERS, 100)
    for kind in (NO_TIMESTAMP, TIMESTAMP_IN_QUESTION, CHOOSE_TIME_RANGE):
        counts = Counter(placed[q.question_id].answer for q in questions if q.question_type == kind)
        assert max(counts.values()) - min(counts.values()) <= 1 and len(counts) == 4
    for question in questions:
        result = placed[question.question_id]
        assert result.options[LETTERS.index(result.answer)] == question.correct
        assert sorted(result.options) == sorted([question.correct, *question.wrong])
    odd = place_options(unplaced(403), seed=7)
    assert sorted(Counter(p.answer for p in odd.values()).values()) == [100, 101, 101, 101]


def test_letters_look_random():
    questions = unplaced(400)
    by_seed = [place_options(questions, seed) for seed in range(200)]
    # each question's letter is uniform over the seeds (binomial sd ~6.1 around 50)
    for question in questions[:40]:
        counts = Counter(placed[question.question_id].answer for placed in by_seed)
        assert all(25 <= counts[letter] <= 75 for letter in LETTERS)
    # in question-id order the letters follow no cycle
    letters = [LETTERS.index(by_seed[0][q].answer) for q in sorted(by_seed[0])]
    steps = Counter((b - a) % 4 for a, b in zip(letters, letters[1:]))
    assert max(steps.values()) < 0.4 * len(letters)
    # the wrong options are shuffled too, and the result depends on the seed alone
    assert len({placed[questions[0].question_id].options for placed in by_seed}) > 12
    assert place_options(list(reversed(questions)), 3) == by_seed[3]


@pytest.mark.parametrize("count", [0, 1, 5])
def test_small_sets(count):
    placed = place_options(unplaced(count), seed=0)
    assert len(placed) == count
    assert max(Counter(p.answer for p in placed.values()).values(), default=0) <= 2
