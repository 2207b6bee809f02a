"""Stage "faces": detect, crop, resize and greyscale the face in every image.

For each manifest row the stage reads the image (EXIF orientation applied),
finds the largest face, optionally levels the eyes, crops a square with a
margin around the face, resizes it to ``size`` x ``size`` (``cv2.INTER_AREA``),
converts it to greyscale and optionally equalises the histogram.  Every image
that is dropped gets a report row saying why (``no_face``, ``unreadable``,
``too_small``, ``too_large``, ``constant``), so nothing disappears silently.

Detectors (``faces.detector``): ``blazeface`` (default; MediaPipe's short-range
BlazeFace, with eye keypoints for ``align``), ``haar`` (OpenCV's frontal cascade,
a dependency-free baseline) and ``none`` (the whole image is the face). Why
BlazeFace is the default: docs/design/faces.md.

Modules: :mod:`.images` (reading files), :mod:`.detection` (what a detector
returns), :mod:`.blazeface`, :mod:`.detectors` (Haar, none, :func:`make_detector`),
:mod:`.crop` (geometry), :mod:`.bias` (:func:`detector_bias`, the rule used to warn
when one class loses clearly more images than others) and :mod:`.extract` (the
batch entry point :func:`extract_faces`). No global OpenCV thread state is set
here: the caller decides (``cv2.setNumThreads``).
"""

from ..io.npz import read_faces_npz, write_faces_npz  # faces.npz lives in infantfer.io.npz
from .bias import detector_bias
from .blazeface import BlazeFaceDetector, blazeface_model_path
from .crop import crop_face, eye_angle, whole_image
from .detection import Detection
from .detectors import DETECTORS, HaarDetector, NoneDetector, make_detector
from .extract import LOGGER_NAME, MIN_SIDE, ON_NO_FACE, REPORT_COLUMNS, STATUSES, extract_faces
from .images import TooLarge, UnreadableImage, load_rgb

__all__ = [
    "BlazeFaceDetector",
    "Detection",
    "HaarDetector",
    "MIN_SIDE",
    "NoneDetector",
    "STATUSES",
    "UnreadableImage",
    "blazeface_model_path",
    "crop_face",
    "detector_bias",
    "eye_angle",
    "extract_faces",
    "load_rgb",
    "make_detector",
    "read_faces_npz",
    "whole_image",
    "write_faces_npz",
]
