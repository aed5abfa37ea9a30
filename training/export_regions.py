"""Re-export a registered backbone + heads checkpoint with region pooling, as a new registry version.

    /usr/bin/python3 -m training.export_regions --from 3.0.0 --version 3.0.1
    /usr/bin/python3 -m training.export_regions --from 3.1.0 --version 3.1.1 --default
    /usr/bin/python3 -m training.export_regions --from 3.1.0 --version 3.1.2 --default --fp16-min-elements 300000

Same heads, same weights, a new graph (training/backbone/net.py, regions=True): a second input
`region_weights` [N, R, G] and one output `<task>_regions` [N, R, C] per head, beside the
unchanged global-pool outputs. A checkpoint with another side or feature set (3.1.0: 192 px,
block 13 + out_relu) gets training/backbone/multi.py's FeatureBackbone(maps=True): G is the finest
map's cells (12x12 = 144 at 192, 16 px cells), the weights sum-pooled 2x2 for the 6x6 map inside
the graph (alignment: multi.py's header). Checks, through onnxruntime-node on real photos
(../shared/fixtures/faces, centre squares resized to the checkpoint's input side):
- the new file's per-task outputs equal the source file's (|d logit| <= 1e-4);
- a uniform row (1/G) of `region_weights` gives those logits again (mean pooling is linear);
- random rows match PyTorch (<= 1e-4).
Then it saves the checkpoint under the new version (training/checkpoints/skin_mnv2-<version>.pt,
the same heads) and writes one registry entry per task (the source's entries with the new file, sha256,
version, and a `regions` block: input/output names, the grid read from the graph, input pixels
per cell), `default` as the source's (with --default: this version becomes the default of both
tasks, the other versions' entries stay registered with default false). Then, in the same command (unless --no-threshold),
training/region_threshold.py fits the region rows' own calibration (Platt scaling per region and
for close-up tiles) and chooses the region threshold, both on validation data. Without that
calibration the engine reports no region values (per_region null, with the reason).

--fp16-min-elements N (3.1.2): the backbone weights of >= N values are stored as float16 + Cast
(training/backbone/fp16_store.py: BN folded, rounded in PyTorch too, so the PyTorch check stays at
1e-4). The checkpoint records it (`fp16_weights`), so training/parity.py rebuilds the same rounded
network. The file then no longer computes exactly the source's function: the checks against the
source file use FP16_TOL (|d logit| and |d prob| over the photos, fixed before the first
measurement from float16's relative rounding of 2^-12 per weight), and the onnxruntime session's
optimised graph (training/ort_optimized.mjs, level 'all' as in the engine) must hold no Cast of
a stored weight: it is folded at session creation, so the session runs float32 weights as before.
The new entries get their own card (models/cards/skin_mnv2-<version>.md); the validation and test
numbers beside the source's: training/fp16_report.py.
"""
from __future__ import annotations

import argparse
import copy
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from .backbone.net import REGIONS_INPUT, Backbone, SkinNet, region_output
from .calibrate import softmax_t
from .register import CKPT, MODELS, load_manifest, save_manifest, sha256_file, upsert
from .register_heads import NAME, export

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO.parent / "shared" / "fixtures" / "faces"
TOL = 1e-4
FP16_TOL = {"logit": 1e-2, "prob": 1e-3}  # float16-stored weights vs the source file (header)


def load_net(version: str, regions: bool, fp16_min_elements: int | None = None) -> SkinNet:
    """The checkpoint's network; its backbone weights rounded as fp16_store.round_backbone does when
    `fp16_min_elements` is given or the checkpoint records `fp16_weights`."""
    ck = torch.load(CKPT / f"{NAME}-{version}.pt")
    net = _build(ck, regions)
    n = fp16_min_elements or (ck.get("fp16_weights") or {}).get("min_elements")
    if n:
        from .backbone.fp16_store import round_backbone

        round_backbone(net.backbone.net, int(n))
    return net


def _build(ck: dict, regions: bool) -> SkinNet:
    from .heads import TASKS, Head

    heads = {}
    for task in ck["names"]:
        sd = ck["heads"][task]
        head = Head(sd["mu"].numpy(), sd["sd"].numpy(), len(TASKS[task]), ck["hparams"][task]["hidden"])
        head.load_state_dict(sd)
        heads[task] = head.eval()
    size, features = ck.get("input_size", 224), ck.get("features", "pooled")
    if (size, features) == (224, "pooled"):  # 3.0.0: net.py's Backbone (flatten_1 is the 7x7 mean)
        return SkinNet(Backbone(feature_map=regions), heads, regions=regions).eval()
    from .backbone.multi import FeatureBackbone

    return SkinNet(FeatureBackbone(features, maps=regions), heads, regions=regions).eval()


def input_size(version: str) -> int:
    return int(torch.load(CKPT / f"{NAME}-{version}.pt").get("input_size", 224))


def sample_crops(size: int) -> np.ndarray:
    from PIL import Image

    out = []
    for p in sorted(FIXTURES.iterdir()):
        if p.suffix.lower() not in (".jpg", ".png"):
            continue
        with Image.open(p) as im:
            im = im.convert("RGB")
            s = min(im.size)
            left, top = (im.size[0] - s) // 2, (im.size[1] - s) // 2
            out.append(np.asarray(im.crop((left, top, left + s, top + s)).resize((size, size), Image.BOX)))
    return np.stack(out)


def ort_region_outputs(path: Path, x_u8: np.ndarray, w: np.ndarray) -> tuple[dict[str, np.ndarray], dict]:
    with tempfile.TemporaryDirectory() as td:
        t = Path(td)
        np.ascontiguousarray(x_u8, dtype=np.uint8).tofile(t / "in.u8")
        np.ascontiguousarray(w, dtype=np.float32).tofile(t / "w.f32")
        subprocess.run(["node", str(REPO / "training" / "ort_regions.mjs"), str(path), str(t / "in.u8"), str(len(x_u8)),
                        str(t / "w.f32"), str(w.shape[1]), td], check=True, cwd=REPO)
        meta = json.loads((t / "meta.json").read_text())
        return {f.stem: np.fromfile(f, dtype=np.float32) for f in t.glob("*.f32") if f.stem not in ("in", "w")}, meta


def folded_casts(path: Path, stored: list[str]) -> list[str]:
    """The stored float16 weights whose Cast is still in the graph onnxruntime-node runs (should be none)."""
    import onnx

    with tempfile.TemporaryDirectory() as td:
        opt = Path(td) / "optimized.onnx"
        subprocess.run(["node", str(REPO / "training" / "ort_optimized.mjs"), str(path), str(opt)], check=True, cwd=REPO)
        g = onnx.load(str(opt)).graph
    fp16 = {f"{n}_fp16" for n in stored}
    left = [n.input[0] for n in g.node if n.op_type == "Cast" and n.input[0] in fp16]
    assert not any(t.data_type == onnx.TensorProto.FLOAT16 for t in g.initializer), "float16 initializers left in the session's graph"
    return left


def check_alignment(net: SkinNet, size: int) -> float:
    """Multi-map backbone: a one-hot row on fine cell (y, x) must pool fine map cell (y, x) and coarse cell
    (y // k, x // k) (training/backbone/multi.py's 2x2 pairing); returns the worst |difference|."""
    torch.manual_seed(0)
    img = torch.randn(1, 3, size, size)
    with torch.no_grad():
        maps = net.backbone._maps(img)
        fine = max(m.shape[2] for m in maps)
        worst = 0.0
        for y, x in [(0, 0), (5, 3), (fine - 1, fine - 2), (fine - 1, fine - 1)]:
            w = torch.zeros(1, 1, fine * fine)
            w[0, 0, y * fine + x] = 1
            _, fr = net.backbone.region_pool(img, w)
            k = [fine // m.shape[2] for m in maps]
            want = torch.cat([m[0, :, y // kk, x // kk] for m, kk in zip(maps, k)])
            worst = max(worst, float((fr[0, 0] - want).abs().max()))
    assert worst <= 1e-5, f"region pooling is not aligned to the maps' cells: {worst}"
    return worst


def main(argv=None) -> int:
    from .export import ort_logits
    from .train import normalise

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="source", required=True, help="registered version whose checkpoint is re-exported (training/checkpoints/skin_mnv2-<v>.pt)")
    ap.add_argument("--version", required=True, help="the new registry version, e.g. 3.0.1")
    ap.add_argument("--default", action="store_true", help="make the new version the default of its tasks (the others stay registered, default false)")
    ap.add_argument("--no-threshold", action="store_true", help="skip the region calibration and threshold (training/region_threshold.py); the engine then reports no region values")
    ap.add_argument("--fp16-min-elements", type=int, default=None,
                    help="store the backbone weights of >= N values as float16 + Cast (training/backbone/fp16_store.py; 3.1.2: 300000)")
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    size = input_size(a.source)
    src_file = MODELS / f"{NAME}-{a.source}.onnx"
    out = MODELS / f"{NAME}-{a.version}.onnx"
    fp16 = a.fp16_min_elements
    net = load_net(a.source, regions=True, fp16_min_elements=fp16)
    export(net, out, size)
    stored = None
    if fp16:
        from .backbone.fp16_store import store_fp16

        stored = store_fp16(out, fp16)
        left = folded_casts(out, stored)
        assert not left, f"onnxruntime left the Cast of {left} in the session's graph"
    x = sample_crops(size)
    with torch.no_grad():
        fmap, _ = net.backbone(torch.zeros(1, 3, size, size))
    gh, gw = fmap.shape[2], fmap.shape[3]
    cells = gh * gw
    rng = np.random.RandomState(0)
    rand = rng.rand(len(x), 3, cells).astype(np.float32)
    rand /= rand.sum(2, keepdims=True)
    w = np.concatenate([np.full((len(x), 1, cells), 1.0 / cells, np.float32), rand], axis=1)
    if hasattr(net.backbone, "region_pool"):
        report_align = check_alignment(net, size)
    new, meta = ort_region_outputs(out, x, w)
    with torch.no_grad():
        torch_out = net(normalise(torch.from_numpy(np.ascontiguousarray(x))), torch.from_numpy(w))
    report = {"file": out.name, "bytes": out.stat().st_size, "grid": [gh, gw], "inputs": meta["inputs"], "photos": len(x)}
    if fp16:
        report["fp16_weights"] = {"min_elements": fp16, "initializers": stored, "casts_left_in_session": 0}
    for k, task in enumerate(net.names):
        old = ort_logits(src_file, x, task)
        c = old.shape[1]
        glob = new[task].reshape(len(x), c)
        rows = new[region_output(task)].reshape(len(x), w.shape[1], c)
        t_rows = torch_out[len(net.names) + k].numpy().reshape(-1, c)
        t_glob = torch_out[k].numpy().reshape(-1, c)
        prob = lambda z: softmax_t(z.astype(np.float64))  # noqa: E731
        report[task] = {"global_vs_source_logit": float(np.abs(glob - old).max()),
                        "uniform_row_vs_source_logit": float(np.abs(rows[:, 0] - old).max()),
                        "regions_vs_torch_prob": float(np.abs(prob(rows.reshape(-1, c)) - prob(t_rows)).max())}
        if fp16:  # the exact checks are against PyTorch's rounded twin; the source only within FP16_TOL
            report[task].update(global_vs_source_prob=float(np.abs(prob(glob) - prob(old)).max()),
                                global_vs_torch_logit=float(np.abs(glob - t_glob).max()),
                                uniform_row_vs_global_logit=float(np.abs(rows[:, 0] - glob).max()))
    if hasattr(net.backbone, "region_pool"):
        report["one_hot_fine_cell_vs_maps"] = report_align
    print(json.dumps(report))
    exact = lambda r: {k: v for k, v in r.items() if not (fp16 and "source" in k)}  # noqa: E731
    bad = {t: report[t] for t in net.names if max(exact(report[t]).values()) > TOL}
    assert not bad, f"parity over {TOL}: {bad}"
    if fp16:
        far = {t: report[t] for t in net.names if report[t]["global_vs_source_logit"] > FP16_TOL["logit"]
               or report[t]["uniform_row_vs_source_logit"] > FP16_TOL["logit"] or report[t]["global_vs_source_prob"] > FP16_TOL["prob"]}
        assert not far, f"float16 weights moved the outputs beyond {FP16_TOL}: {far}"
        (MODELS / f"{NAME}-{a.version}.parity.json").write_text(json.dumps(report, indent=1) + "\n")
    assert meta["inputs"][REGIONS_INPUT][-1] == cells, meta

    # the same heads under the new version's name (training/parity.py reads <file stem>.pt)
    ck = torch.load(CKPT / f"{NAME}-{a.source}.pt")
    ck.update(version=a.version, regions_from=a.source)
    if fp16:
        ck["fp16_weights"] = {"min_elements": fp16, "initializers": stored}
    torch.save(ck, CKPT / f"{NAME}-{a.version}.pt")

    man = load_manifest()
    src = [e for e in man["models"] if e["file"] == src_file.name]
    assert src, f"no registry entry names {src_file.name}"
    for e in src:
        entry = copy.deepcopy(e)
        # the default follows the source's (or this version's own, when the command runs again)
        again = next((x for x in man["models"] if x["task"] == e["task"] and x["version"] == a.version), {})
        entry.update(version=a.version, file=out.name, sha256=sha256_file(out), default=bool(a.default or e.get("default") or again.get("default")))
        over = (f"the {gh}x{gw} feature map" if not hasattr(net.backbone, "region_pool") else
                f"the {gh}x{gw} grid of the finest pooled map (coarser maps: the weights sum-pooled onto their cells)")
        entry["architecture"] = e["architecture"] + f"; region pooling: {REGIONS_INPUT} [N,R,{cells}] over {over} -> {region_output(e['task'])} [N,R,C]"
        entry["regions"] = {"input": REGIONS_INPUT, "output": region_output(e["task"]), "grid": gh, "cell_px": size / gh,
                            "from_version": a.source}
        if fp16:
            entry["regions"]["from_logit_tolerance"] = FP16_TOL["logit"]
        entry["metrics"] = {**e["metrics"], "note": f"{a.source}'s heads and weights (whole-face outputs identical); region pooling added by training/export_regions.py"}
        if fp16:
            entry["model_card"] = f"cards/{NAME}-{a.version}.md"
            entry["metrics"] = {**e["metrics"], "metrics_file": f"{NAME}-{a.version}.metrics.json",
                                "note": (f"{a.source}'s heads and weights, the backbone weights of >= {fp16} values stored as float16 "
                                         f"(training/backbone/fp16_store.py; whole-face outputs within {FP16_TOL} of {a.source}); region pooling "
                                         f"added by training/export_regions.py. The test numbers above are {a.source}'s; this file's own "
                                         f"beside them: {NAME}-{a.version}.metrics.json (training/fp16_report.py)")}
        upsert(man, entry)
    save_manifest(man)
    print(f"registered {NAME}@{a.version} ({', '.join(e['task'] for e in src)}) from {a.source}")
    if not a.no_threshold:
        from .region_threshold import main as choose

        choose(["--version", a.version])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
