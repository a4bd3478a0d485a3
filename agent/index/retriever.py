"""The hybrid search as a LangChain retriever, for use from other LangChain programs.

    from agent.config import get_settings
    from agent.index.retriever import RemissRetriever
    from agent.index.search import Filters, Searcher

    retriever = RemissRetriever(searcher=Searcher.open(get_settings()), k=5, filters=Filters(kind="law"))
    for doc in retriever.invoke("Får kommunen stödja ett enskilt företag?"):
        print(doc.metadata["label"], doc.id)          # "2 kap. 8 § kommunallagen (2017:725)" sfs-2017-725/2/8

Each result is a `langchain_core.documents.Document` whose `page_content` is the verbatim source text
(a law paragraph or a section of an earlier answer) and whose metadata holds the citation label, the
kind, the corpus file, how it matched (exact reference, hybrid, dense, lexical), its score and rank,
and the source's own metadata (law id, chapter, section; body, date, Dnr). Exact references in the
query ("2 kap. 2 § KL") come first, as in `remiss search`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from agent.index.search import Filters, Hit, Mode, Searcher


def to_langchain(hit: Hit) -> LCDocument:
    """One search hit as a LangChain document (text verbatim; label, kind, match and score in metadata)."""
    doc = hit.document
    metadata: dict[str, Any] = {k: v for k, v in doc.metadata.items() if k != "stycken"}
    metadata.update(
        label=doc.label,
        kind=doc.kind,
        source=doc.source,
        match=hit.match,
        score=hit.score,
        rank=hit.rank,
    )
    return LCDocument(id=doc.id, page_content=doc.text, metadata=metadata)


class RemissRetriever(BaseRetriever):
    """Laws, authority instructions and earlier remiss answers from the project's index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    k: int = 5
    filters: Filters | None = None
    mode: Mode = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        hits = self.searcher.search(query, k=self.k, filters=self.filters, mode=self.mode)
        return [to_langchain(hit) for hit in hits]
