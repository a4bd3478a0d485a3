"""The ground floor for Swedish text: normalising, sentences, terms, and the grammar of Dnr, dates,
headings.

Everything else in `agent` (sources, index, drafting, evals) may import from here; nothing here imports
from the rest of `agent`.
"""
