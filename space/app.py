"""SAVEnVideo Space: ask a question about a video and see which frames and sounds the model used to answer.

Run locally with `python space/app.py` (http://127.0.0.1:7860). `SAVENVIDEO_MODEL` names the checkpoint (Hub id or
folder); without it a tiny random-weight checkpoint is built at startup, so the page works offline on a CPU.
"""

import gradio as gr
from savenvideo_space import UnreadableVideo, VideoAssistant, write_example_clips

ASSISTANT = VideoAssistant.from_environment()
try:
    EXAMPLES = write_example_clips()
except ImportError:  # the synthetic clip writer ships with the savenvideo package, which a Hub Space may lack
    EXAMPLES = []

INTRO = """# SAVEnVideo: ask a video

SAVEnVideo watches **frames sampled evenly over the whole video** and listens to **a short audio window around
each frame**, then answers in text. Times in your question (`00:01:30`, `90 s`) tell it where to look.
Upload a video (mp4, mkv or webm, with or without sound) or pick an example below, and ask.
"""


def answer(video: str | None, question: str):
    """One click: the answer, the frame strip, the audio plot and notes (or a readable error and empty views)."""
    try:
        result = ASSISTANT.ask(video, question)
    except (UnreadableVideo, ValueError) as error:
        return "", [], None, f"⚠️ {error}"
    return result.text, result.frames, result.audio_plot, "\n\n".join(result.notes)


with gr.Blocks(title="SAVEnVideo: ask a video") as demo:
    gr.Markdown(INTRO)
    gr.Markdown(
        f"**Model:** {ASSISTANT.label} on {ASSISTANT.device.upper()}. {ASSISTANT.notice}", elem_id="model-info"
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            video = gr.Video(label="Video", sources=["upload"], elem_id="video", height=260)
            question = gr.Textbox(
                label="Question", placeholder="What sound do you hear when the screen turns red?", elem_id="question"
            )
            ask = gr.Button("Ask", variant="primary", elem_id="ask")
        with gr.Column(scale=1):
            reply = gr.Textbox(label="Answer", interactive=False, lines=3, elem_id="answer")
            notes = gr.Markdown(elem_id="notes")
    if EXAMPLES:
        gr.Examples(EXAMPLES, inputs=[video, question], label="Examples (synthetic clips)")
    gr.Markdown("### Frames the model saw, with their times in the video")
    frames = gr.Gallery(
        show_label=False,
        columns=8,
        height=340,  # one row of up to 8 frames: 16 frames fill two rows and scroll
        object_fit="contain",
        format="png",  # lossless: a 32 px frame of the tiny model stays crisp
        allow_preview=True,
        elem_id="frames",
    )
    gr.Markdown("### Audio windows the model heard (log-mel filterbanks, as BEATs receives them)")
    audio_plot = gr.Plot(show_label=False, elem_id="audio-plot")
    # One event for both triggers: requests queue one at a time on the single model.
    gr.on([ask.click, question.submit], answer, [video, question], [reply, frames, audio_plot, notes])

if __name__ == "__main__":
    demo.launch(theme=gr.themes.Soft())
