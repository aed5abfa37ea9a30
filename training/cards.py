"""Model card writer (Markdown), from the metrics JSON written next to the model."""
from __future__ import annotations

import json
from pathlib import Path

TITLES = {"acne_binary": "Acne (binary): no_acne vs acne", "skin_condition": "Skin condition (5 classes)"}


def _f(v, nd=3):
    return "n/a" if v is None else f"{v:.{nd}f}"


def _report_row(name: str, r: dict, positive: bool) -> str:
    auc = _f(r.get("roc_auc_acne")) if positive else ""
    return (f"| {name} | {r['n']} | {_f(r['accuracy'])} | {_f(r['macro_f1'])} | " +
            (f"{auc} | " if positive else "") + f"{_f(r['ece'])} |")


def _table(title: str, reps: dict, positive: bool) -> list[str]:
    head = "| subset | n | accuracy | macro-F1 | " + ("ROC-AUC (acne) | " if positive else "") + "ECE |"
    sep = "|---|---:|---:|---:|" + ("---:|" if positive else "") + "---:|"
    lines = [f"**{title}**", "", head, sep]
    for k, r in reps.items():
        lines.append(_report_row(k, r, positive))
    return lines + [""]


def _per_class(r: dict) -> list[str]:
    lines = ["| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
    for c, v in r["per_class"].items():
        lines.append(f"| {c} | {_f(v['precision'])} | {_f(v['recall'])} | {_f(v['f1'])} | {v['support']} |")
    cm = r["confusion"]
    lines += ["", "Confusion matrix (rows = true, columns = predicted):", "",
              "| true \\ pred | " + " | ".join(cm["labels"]) + " |", "|---|" + "---:|" * len(cm["labels"])]
    for lab, row in zip(cm["labels"], cm["matrix"]):
        lines.append(f"| {lab} | " + " | ".join(str(x) for x in row) + " |")
    return lines + [""]


def write_card(task: str, version: str, m: dict, splits: dict, path: Path, run_dir: Path) -> None:
    positive = task == "acne_binary"
    t = m["test"]
    o32, o8 = m["onnx"]["fp32"], m["onnx"]["int8"]
    L = [f"# Model card: `{task}@{version}`", "",
         "> **Not for diagnosis.** A cosmetic, research-grade estimate trained on web and atlas images with "
         "non-dermatologist labels. Do not use it to diagnose, triage or treat anyone, or in a commercial product.", "",
         f"{TITLES[task]}. Classes: " + ", ".join("`%s`" % c for c in t["confusion"]["labels"]) + ".", "",
         "## Intended use", "",
         "- Input: the engine's eye-line-aligned square face crop, or for a close-up photo (no detectable face) the "
         "centre square of the whole image, resized to 224x224 RGB by area averaging, normalised with the model spec's (ImageNet) mean/std (models/spec.json).",
         "- Output: softmax probabilities. " + (f"`acne` is reported when P(acne) >= {m['threshold']} (chosen on validation data to maximise binary macro-F1)."
                                               if positive else "The predicted condition is the argmax."),
         "- Use: self-hosted cosmetic skin analysis, demos and research. Not a medical device.", "",
         "## Model", "",
         f"- Architecture: {m['architecture']} ({m['params']:,} parameters).",
         f"- Files: `{o32['file']}` (fp32, {o32['bytes']:,} bytes)" + (f", `{o8['file']}` (INT8 QDQ, {o8['bytes']:,} bytes)" if o8["kept"] else "") + ".",
         f"- Trained from scratch (no pretrained weights available offline) with seed {m['seed']}: AdamW, one-cycle LR "
         f"(max {m['training']['lr']}), batch {m['training']['batch_size']}, {m['training']['epochs']} epochs, best epoch by validation "
         f"macro-F1 = {m['training']['best_epoch']}; " + (
             "loss weights balancing every (class, crop mode) cell, so that face-vs-close-up is not a shortcut; "
             if m['training'].get('balance') == 'class_mode' else "inverse-frequency class-weighted cross-entropy; ") +
         "augmentation: random resized crop (scale 0.7-1), horizontal flip, brightness/contrast +-10% (no hue change)" +
         (f", low-resolution simulation (down to 45-160 px and back) with p={m['training']['lowres_aug_p']}"
          if m['training'].get('lowres_aug_p') else "") + ".",
         f"- Training crops: `{m['cropper']}` cropper " + ("(the engine's own `skinsight crop --closeup-fallback`, so no train/serve skew)."
                                                         if m["cropper"] == "engine" else "(**PIL centre-square fallback, not the engine's crop**)."),
         "", "## Data sources and licences", "",
         "All images come from `../shared/datasets` (`conditions/` task, deduplicated by sha256). **Licences: research and "
         "non-commercial only.** Most sources have no licence at all (DermNet-watermarked atlas images: tnmysule, halfadiii, "
         "marvellino); UTKFace and CelebA are non-commercial research only; roboflow-acne says CC BY 4.0 but contains ACNE04 "
         "(no open licence) and web-scraped images; killflex says CC BY 4.0 for annotations only. See the dataset README.", "",
         "| split | per class and source |", "|---|---|"]
    for sp in ("train", "val", "test"):
        parts = []
        for cls, srcs in splits["summary"].get(sp, {}).items():
            parts.append(f"{cls}: " + ", ".join(f"{s} {n}" for s, n in srcs.items()))
        L.append(f"| {sp} | " + "; ".join(parts) + " |")
    L += ["", f"**Cross-source evaluation.** The test set is whole sources never seen in training or validation "
          f"({', '.join(splits['test_sources'])}). Validation is a stratified {int(splits['val_fraction'] * 100)}% of the training "
          "sources (in-source), because acne and eczema have too few sources for a second source-level hold-out; "
          "validation numbers are therefore optimistic, and the test numbers are the honest ones.", "",
          "## Metrics (held-out test sources, PyTorch)", ""]
    L += _table("Overall", {"val (in-source)": m["val"], "test (held-out sources)": t}, positive)
    if positive and "test_at_0.5" in m:
        L += _table("Test at threshold 0.5 (for comparison)", {"test": m["test_at_0.5"]}, positive)
    L += ["**Per class (test)**", ""] + _per_class(t)
    L += _table("Per source (test)", m["test_by_source"], positive)
    L += _table("Per domain (test)", m["test_by_domain"], positive)
    if m.get("test_by_crop_mode"):
        L += _table("Per engine crop mode (test): face = a face was found and aligned; closeup = centre square",
                    m["test_by_crop_mode"], positive)
    L += _table("Per skin-tone group (test; UTKFace race labels, all of them `normal` images, so accuracy here is the "
                "rate of correctly calling healthy skin healthy)", m["test_by_skin_tone_group"], positive)
    L += ["## FP32 vs INT8 (onnxruntime-node, 2 threads, this 2-core machine)", "",
          "| precision | file bytes | test accuracy | test macro-F1 | ECE | ms/call batch 1 | ms/call batch 8 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, o in (("fp32", o32), ("int8 (QDQ)", o8)):
        L.append(f"| {name} | {o['bytes']:,} | {_f(o['test']['accuracy'])} | {_f(o['test']['macro_f1'])} | {_f(o['test']['ece'])} | "
                 f"{_f(o['bench_ms']['batch1_median_ms'], 2)} | {_f(o['bench_ms']['batch8_median_ms'], 2)} |")
    L += ["", f"INT8 is {'kept as a non-default registry entry' if o8['kept'] else 'not kept'} (rule: keep if test macro-F1 drops by at most 1 point). "
          "Quantization: static QDQ, uint8 asymmetric per-tensor activations (min/max over 256 training crops), "
          "int8 symmetric weights (per channel for Conv), int32 biases. Timings are medians and vary with load from other processes.", "",
          f"Torch vs onnxruntime-node on 64 test crops: max |Δprob| = {m['onnx_parity_torch_vs_ort']['max_abs_prob_diff']:.2e}.", "",
          "## Architecture comparison (same splits, same seed)", "",
          "| run | params | fp32 ONNX <= 10 MB | epochs | train s | val macro-F1 | test accuracy | test macro-F1 | " +
          ("test ROC-AUC acne | " if positive else "") + "test ECE |",
          "|---|---:|---|---:|---:|---:|---:|---:|" + ("---:|" if positive else "") + "---:|"]
    for a, c in m["arch_comparison"].items():
        L.append(f"| {a} | {c['params']:,} | {'yes' if c['fits_10mb'] else 'no'} | {c['epochs']} | {c.get('train_seconds', 0):.0f} | "
                 f"{_f(c.get('val_macro_f1'))} | {_f(c.get('test_accuracy'))} | {_f(c['test_macro_f1'])} | " +
                 (f"{_f(c.get('test_roc_auc_acne'))} | " if positive else "") + f"{_f(c.get('test_ece'))} |")
    L += ["", "The seed architecture's fp32 ONNX is far beyond the 10 MB budget (its first FC layer alone has "
          "~51 M (acne) / ~26 M (condition) weights), so it cannot be the default whatever its accuracy; on 2 CPU "
          "cores it trains ~20-35x slower, so it was compared at fewer epochs, next to the compact "
          "model at the same epoch count."]
    L += ["", "## Known limits", "",
          "- **Domain confound.** Acne, eczema and most rosacea images are clinical or web close-ups; normal skin is mostly "
          "portraits and GAN faces. The model can partly learn 'close-up vs portrait'. The per-domain and per-source tables show "
          "it: look at `wafa` (normal close-ups) and `utkface` (normal portraits). Expect errors on healthy-skin close-ups and on "
          "faces with mild conditions photographed as portraits.",
          "- **Skin tones.** The sources lean light-skinned (skin-type, dark-spot, synthetic and DermNet sets). Skin-tone "
          "groups are known only for UTKFace normals (White, Black, Asian, Indian, Others), so per-group numbers measure "
          "false alarms on healthy skin only, not sensitivity. Sensitivity on darker skin is untested.",
          "- **Synthetic data.** rishik GAN faces are 39% of rosacea and part of normal training data.",
          "- **Label noise.** Labels come from web folders and Roboflow exports, not dermatologists; the condition classes are "
          "coarse (no severity; pigmentation = melasma/dark spots).",
          "- **Small sources.** Eczema and pigmentation have one training source each (halfadiii thumbnails, trueme web "
          "close-ups); held-out performance on these classes is the weakest.",
          "- **Close-ups.** Close-ups are centre-square crops of the whole photo; very small lesions at 224 px may be lost.",
          "- Calibration (ECE) on held-out sources is worse than in-source; treat probabilities as scores, not risks.", ""]
    path.write_text("\n".join(L))
