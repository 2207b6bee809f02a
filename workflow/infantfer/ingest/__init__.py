"""Stage 1, ingest: read a dataset in any supported layout and record every image.

Layouts (``datasets.<name>.layout``):

- ``folders``: ``path/<label>/*.{jpg,jpeg,png,bmp,tif}``.
- ``csv``: ``path`` + ``manifest`` with ``file_column``, ``label_column``, optional ``group_column``
  and ``filters``.
- ``filename_fields``: fields parsed from file names by a regex with named groups (UTKFace style),
  filters on them (``age: {max: 2}`` keeps infants); labels from class folders, a manifest or a field.
- ``pixels_csv``: a FER2013-style CSV of space-separated grey pixels with an integer label column
  and ``label_names``; each row is written out as a lossless PNG so later stages see files only.
- ``demo``: the built-in synthetic demo (:mod:`infantfer.demo`), written out as PNGs.

Every image gets a stable ``id`` (from the dataset name and the image's source, so it survives
reruns and added files), its label, and a group. Groups keep related images on one side of every
fold: an image without a group value is its own group, and exact duplicates (same sha256) are
merged into one group so they can never straddle train and test. One sha256 under two labels is an
error naming both files.

Modules: :mod:`.layouts` lists a dataset's images (through :mod:`.files`, which holds the one rule
for every path, :mod:`.tables` and :mod:`.labels`); :mod:`.describe` hashes and describes each file;
:mod:`.manifest` is the stage itself; :mod:`.checks` runs before any job; :mod:`.fingerprint`
tells Snakemake when the files changed. :class:`DataError` (:mod:`infantfer.errors`) and the groups
code (:mod:`infantfer.groups`) are shared with the split, which imports no part of this stage.
"""

from ..errors import DataError
from ..groups import check_enough_groups, join_groups, merge_duplicate_groups
from .checks import check_shared_images, class_group_counts, planned_image_count
from .describe import EXIF_ORIENTATION, SWAPPED_ORIENTATIONS, stable_id
from .files import IMAGE_EXTENSIONS
from .fingerprint import FileHashes, content_hashes, listing_fingerprint
from .labels import check_labels, label_filter_key
from .layouts import LAYOUTS, LISTED_LAYOUTS, LOCATION_KEYS, Layout, check_layout, images_root, list_images
from .manifest import MANIFEST_COLUMNS, check_label_conflicts, ingest, read_manifest, write_manifest
from .tables import apply_filters

__all__ = [
    "DataError",
    "EXIF_ORIENTATION",
    "IMAGE_EXTENSIONS",
    "FileHashes",
    "LAYOUTS",
    "LISTED_LAYOUTS",
    "LOCATION_KEYS",
    "Layout",
    "MANIFEST_COLUMNS",
    "SWAPPED_ORIENTATIONS",
    "apply_filters",
    "check_enough_groups",
    "check_label_conflicts",
    "check_labels",
    "check_shared_images",
    "content_hashes",
    "check_layout",
    "images_root",
    "class_group_counts",
    "ingest",
    "join_groups",
    "label_filter_key",
    "list_images",
    "listing_fingerprint",
    "merge_duplicate_groups",
    "read_manifest",
    "stable_id",
    "write_manifest",
]
