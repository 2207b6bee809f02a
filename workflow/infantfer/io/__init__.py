"""The workflow's interface files, read and written in one place, one module per format.

Every file a job hands to another job goes through here, and every write is atomic (a temporary
file in the same folder, fsync, rename), so a job killed mid-write never leaves a half file that a
rerun would trust.

- :mod:`.atomic`: :func:`~.atomic.atomic_path` and text files (the report's RST, HTML, Markdown);
  standard library only, so the torch-and-numpy-only GAN code uses it too;
- :mod:`.npz`: ``faces.npz``, training sets (:class:`~.npz.TrainingSet`), damaged files;
- :mod:`.tsv`: the TSV tables;
- :mod:`.filenames`: the part of a file name a label becomes.

Nothing is imported here: a job's code digest (:mod:`infantfer.code_digests`) counts only the
formats it uses.
"""
