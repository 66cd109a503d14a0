"""`savenvideo ask --model DIR VIDEO "question"`: answer one question about a video (or image, or audio file)."""

from pathlib import Path

NAME = "ask"
HELP = "Answer a question about a video with a SAVEnVideo checkpoint (loaded as remote code, like from the Hub)."


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="SAVEnVideo checkpoint folder or Hub id (with its processor)")
    parser.add_argument("media", type=Path, help="video file (an image or an audio file works too)")
    parser.add_argument("question", help="the question; times like 00:01:30 or '90 s' reach the model as query times")
    parser.add_argument(
        "--media-type", choices=("video", "image", "audio"), default="video", help="what MEDIA holds (default: video)"
    )
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--dtype", default="auto", choices=("auto", "bfloat16", "float16", "float32"))
    parser.add_argument("--device", default=None, help="e.g. cuda, cuda:1 or cpu (default: cuda if available)")


def run(args) -> int:
    import torch
    from transformers import AutoModel, AutoProcessor

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    processor = AutoProcessor.from_pretrained(args.model, trust_remote_code=True)
    model = AutoModel.from_pretrained(args.model, trust_remote_code=True, dtype=args.dtype).to(device).eval()
    conversation = [
        {
            "role": "user",
            "content": [{"type": args.media_type, "path": str(args.media)}, {"type": "text", "text": args.question}],
        }
    ]
    inputs = processor.apply_chat_template(conversation, add_generation_prompt=True, tokenize=True, return_dict=True)
    # Only the pixels follow the model's dtype: times must stay float32 (bf16 cannot tell 7200.0 s from 7200.1 s).
    inputs["pixel_values_videos"] = inputs["pixel_values_videos"].to(model.dtype)
    inputs = inputs.to(device)
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=args.max_new_tokens, do_sample=False)
    print(processor.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True).strip())
    return 0
