#!/usr/bin/env python3
"""Exports the BLIP captioner to the `captioner/` folder of a pix2pix-zero model bundle.

No public ONNX export of BLIP's captioner exists, so this writes one from transformers'
BlipForConditionalGeneration (pix2pix-zero uses Salesforce/blip-image-captioning-base):

    python3 tools/export-captioner/export_captioner.py --out <bundle>/captioner
    python3 tools/export-captioner/export_captioner.py --model Salesforce/blip-image-captioning-large --out <bundle>/captioner

Needs torch, onnx and transformers (pip install torch onnx transformers). See README.md beside this file.

The folder it writes (what core/Captioning/BlipCaptioner reads and checks):
  vision_encoder.onnx  pixel_values f32 [batch,3,S,S] -> image_embeds f32 [batch,image_tokens,Dv]
  text_decoder.onnx    input_ids i64 [batch,sequence], attention_mask i64 [batch,sequence],
                       encoder_hidden_states f32 [batch,image_tokens,Dv] -> logits f32 [batch,sequence,V]
  vocab.txt            the V WordPiece tokens, one per line, id = line number ([DEC] and [ENC] included)
  config.json          image_size, image_mean, image_std, vocab_size, bos/sep/eos/pad token ids, and the
                       generation settings pix2pix-zero uses (for reference; the C# options hold the defaults)

Loading and exporting are separate. export_captioner() takes any torch modules with BLIP's interface:
  vision(pixel_values)                                       -> image_embeds, or an output whose first item /
                                                                .last_hidden_state is it (BlipVisionModel)
  text_decoder(input_ids=, attention_mask=, encoder_hidden_states=) -> logits, or an output whose .logits /
                                                                first item is it (BlipTextLMHeadModel)
load_blip() is the only code that needs transformers: it turns a checkpoint into those modules, the vocabulary
and the config. tests/fixtures/blip-export/generate.py runs export_captioner() on the fixture's tiny BLIP modules.
"""
import argparse
import inspect
import json
import os
import sys

import onnx
import torch
from torch import nn

from onnx_export import to_onnx
FILES = ("vision_encoder.onnx", "text_decoder.onnx", "vocab.txt", "config.json")
REQUIRED_CONFIG = ("image_size", "image_mean", "image_std", "bos_token_id", "sep_token_id", "pad_token_id")
# pix2pix-zero's BLIP call (DESIGN.md section 1.2 step 2); kept in config.json for reference.
GENERATION = {"prompt": "a picture of ", "num_beams": 3, "min_length": 10, "max_length": 30, "length_penalty": 1.0}


class VisionEncoder(nn.Module):
    """pixel_values -> image_embeds (the vision model's last hidden state, after its final LayerNorm)."""

    def __init__(self, vision):
        super().__init__()
        self.vision = vision

    def forward(self, pixel_values):
        return _first(self.vision(pixel_values), "last_hidden_state")


class TextDecoder(nn.Module):
    """(input_ids, attention_mask, encoder_hidden_states) -> logits over the vocabulary, for every position."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder
        # transformers' decoder would also return a KV cache; asking for none keeps the graph to the logits.
        accepted = inspect.signature(decoder.forward).parameters
        self.extra = {k: v for k, v in {"return_dict": True, "use_cache": False}.items() if k in accepted}

    def forward(self, input_ids, attention_mask, encoder_hidden_states):
        out = self.decoder(input_ids=input_ids, attention_mask=attention_mask, encoder_hidden_states=encoder_hidden_states, **self.extra)
        return _first(out, "logits")


def _first(out, name):
    if torch.is_tensor(out):
        return out
    if hasattr(out, name):
        return getattr(out, name)
    return out[0]


def check_vocab(vocab, config):
    if len(vocab) != config["vocab_size"]:
        raise ValueError("the vocabulary has %d tokens but vocab_size is %d (BLIP: BERT's 30,522 + [DEC] + [ENC])" % (len(vocab), config["vocab_size"]))
    if len(set(vocab)) != len(vocab):
        raise ValueError("the vocabulary repeats tokens; vocab.txt needs one distinct token per id")
    if any(not token or "\n" in token for token in vocab):
        raise ValueError("the vocabulary has an empty token or one with a line break; vocab.txt holds one token per line")
    for name in ("bos_token_id", "sep_token_id", "pad_token_id"):
        if not 0 <= config[name] < len(vocab):
            raise ValueError("%s %d is outside the vocabulary" % (name, config[name]))
    if "[UNK]" not in vocab:
        raise ValueError("the vocabulary has no [UNK]; is it BERT's WordPiece vocabulary?")


def export_captioner(vision, text_decoder, vocab, config, out_dir):
    """Writes vision_encoder.onnx, text_decoder.onnx, vocab.txt and config.json into out_dir.

    vision / text_decoder: torch modules with BLIP's interface (module docstring). vocab: the tokens, id = index.
    config: image_size, image_mean, image_std, bos_token_id ([DEC]), sep_token_id ([SEP], the end of a caption),
    pad_token_id; vocab_size defaults to len(vocab); eos_token_id to sep_token_id; other keys are kept.
    Returns the config written.
    """
    missing = [k for k in REQUIRED_CONFIG if k not in config]
    if missing:
        raise ValueError("config lacks %s" % ", ".join(missing))
    config = dict(config)
    for key, value in {"vocab_size": len(vocab), "eos_token_id": config["sep_token_id"], **GENERATION}.items():
        config.setdefault(key, value)
    check_vocab(vocab, config)
    vision_encoder = VisionEncoder(vision).eval()
    decoder = TextDecoder(text_decoder).eval()

    size = config["image_size"]
    pixels = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        embeds = vision_encoder(pixels)
    if embeds.dim() != 3:
        raise ValueError("the vision module returned shape %s; BLIP's image embeddings are [batch, tokens, width]" % list(embeds.shape))
    ids = torch.tensor([[config["bos_token_id"], 0, 1, 2]], dtype=torch.int64)
    with torch.no_grad():
        logits = decoder(ids, torch.ones_like(ids), embeds)
    if list(logits.shape) != [1, ids.shape[1], config["vocab_size"]]:
        raise ValueError("the text decoder returned shape %s; expected [1, %d, %d] logits" % (list(logits.shape), ids.shape[1], config["vocab_size"]))

    vision_onnx = to_onnx(vision_encoder, (pixels,), ["pixel_values"], ["image_embeds"],
                        {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
                        {"image_embeds": ["batch", embeds.shape[1], embeds.shape[2]]})
    decoder_onnx = to_onnx(decoder, (ids, torch.ones_like(ids), embeds), ["input_ids", "attention_mask", "encoder_hidden_states"], ["logits"],
                         {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                          "encoder_hidden_states": {0: "batch", 1: "image_tokens"}, "logits": {0: "batch", 1: "sequence"}},
                         {"logits": ["batch", "sequence", config["vocab_size"]]})

    os.makedirs(out_dir, exist_ok=True)
    onnx.save_model(vision_onnx, os.path.join(out_dir, FILES[0]))
    onnx.save_model(decoder_onnx, os.path.join(out_dir, FILES[1]))
    with open(os.path.join(out_dir, FILES[2]), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(token + "\n" for token in vocab)
    with open(os.path.join(out_dir, FILES[3]), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return config


def load_blip(model_id, revision=None):
    """A transformers BLIP captioning checkpoint as (vision, text_decoder, vocab, config) for export_captioner."""
    try:
        from transformers import BlipForConditionalGeneration, BlipProcessor
    except ImportError:
        sys.exit("error: loading %s needs transformers (pip install transformers torch onnx)" % model_id)
    processor = BlipProcessor.from_pretrained(model_id, revision=revision)
    model = BlipForConditionalGeneration.from_pretrained(model_id, revision=revision).eval()
    by_id = {i: t for t, i in processor.tokenizer.get_vocab().items()}  # added tokens ([DEC], [ENC]) included
    vocab = [by_id.get(i) for i in range(len(by_id))]
    if None in vocab:
        sys.exit("error: the tokenizer's ids are not 0..%d without gaps" % (len(by_id) - 1))
    images = processor.image_processor
    size = images.size["height"] if isinstance(images.size, dict) else images.size
    text = model.config.text_config
    # generate() starts the decoder with bos_token_id ([DEC]) and stops on sep_token_id ([SEP]).
    config = {
        "architectures": ["BlipForConditionalGeneration"], "model_type": "blip", "source": model_id,
        "image_size": int(size), "image_mean": [float(v) for v in images.image_mean], "image_std": [float(v) for v in images.image_std],
        "resample": "bicubic", "vocab_size": text.vocab_size, "bos_token_id": text.bos_token_id,
        "sep_token_id": text.sep_token_id, "eos_token_id": text.sep_token_id, "pad_token_id": text.pad_token_id,
    }
    return model.vision_model, model.text_decoder, vocab, config


def main(argv=None):
    parser = argparse.ArgumentParser(description="Export BLIP's captioner to a pix2pix-zero bundle's captioner/ folder.")
    parser.add_argument("--model", default="Salesforce/blip-image-captioning-base", help="transformers checkpoint (hub id or local folder)")
    parser.add_argument("--revision", default=None, help="hub revision of the checkpoint")
    parser.add_argument("--out", required=True, help="the captioner folder to write, e.g. ~/.cache/pix2pix-zero/models/sd14/captioner")
    args = parser.parse_args(argv)
    vision, decoder, vocab, config = load_blip(args.model, args.revision)
    export_captioner(vision, decoder, vocab, config, args.out)
    for name in FILES:
        print("%-20s %12d bytes" % (name, os.path.getsize(os.path.join(args.out, name))))
    print("check it with: pix2pix-zero models inspect %s" % os.path.dirname(os.path.abspath(args.out)))


if __name__ == "__main__":
    main()
