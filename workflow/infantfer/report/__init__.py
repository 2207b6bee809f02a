"""The report's words and tables: the answer to "did balancing help?" and the method's Tables 2-4.

Everything here is generated from a run's own tables (``statistics.tsv``, ``metrics.tsv``,
``class_counts.tsv``, ``js_divergence.tsv``, ``thesis_claim.tsv``) and each dataset's resolved
settings, never from top-level defaults: a fact in the report is a fact of the run. The answer is
written twice, as reStructuredText (the first page of ``snakemake --report``) and as Markdown
(``results/summary.md``, for a terminal); the tables as small standalone HTML pages. No file name,
path or image of the dataset appears in any of them. Imports only pandas (and the standard
library), so these jobs start in a fraction of a second.

Modules: :mod:`.text` (numbers and markup as text), :mod:`.tables` (Tables 2-4 and their pages),
:mod:`.lead` (the answer's first lines), :mod:`.power` (what a run could detect), :mod:`.answer` (the
answer's pages).
"""

from .answer import (ACROSS_NONE, METHOD_CLASSIFIER, SANITY_CLASSIFIERS, DatasetRun, across_tables, answer_markdown,
                     answer_pages, answer_rst, comparison_sentence, dataset_answer, facts_sentence, headline,
                     rst_to_html, run_facts)
from .lead import MIN_RELATIVE_MEAN, answer_classifier, claim_line, dataset_lead, percent_note
from .power import power_sentence, power_sentences, reach
from .tables import html_page, pages, table2, table3, table4
from .text import METRIC_NAMES, TESTED, level, rst_table

__all__ = [
    "ACROSS_NONE", "METHOD_CLASSIFIER", "METRIC_NAMES", "MIN_RELATIVE_MEAN", "SANITY_CLASSIFIERS", "TESTED",
    "DatasetRun", "across_tables", "answer_classifier", "answer_markdown", "answer_pages", "answer_rst", "claim_line",
    "comparison_sentence", "dataset_answer", "dataset_lead", "facts_sentence", "headline", "html_page", "level",
    "pages", "percent_note", "power_sentence", "power_sentences", "reach", "rst_table", "rst_to_html", "run_facts",
    "table2", "table3", "table4",
]
