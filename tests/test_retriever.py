"""The hybrid search through LangChain's retriever interface (what another LangChain program uses)."""

from __future__ import annotations

from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from agent.index.retriever import RemissRetriever
from agent.index.search import Filters, Searcher


def test_retriever_returns_the_same_hits_as_the_search(searcher: Searcher) -> None:
    query = "Får kommunen ge stöd till ett enskilt företag?"
    retriever = RemissRetriever(searcher=searcher, k=4)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(query)
    hits = searcher.search(query, k=4)
    assert [d.id for d in docs] == [h.document.id for h in hits]
    for doc, hit in zip(docs, hits, strict=True):
        assert isinstance(doc, LCDocument)
        assert doc.page_content == hit.document.text  # verbatim, so quotations stay checkable
        assert doc.metadata["label"] == hit.document.label
        assert doc.metadata["rank"] == hit.rank and doc.metadata["match"] == hit.match


def test_exact_reference_first_and_filters_apply(searcher: Searcher) -> None:
    docs = RemissRetriever(searcher=searcher, k=3, filters=Filters(kind="law")).invoke("2 kap. 2 § KL")
    assert docs[0].id == "sfs-2017-725/2/2" and docs[0].metadata["match"] == "exact"
    assert all(d.metadata["kind"] == "law" for d in docs)
    assert "stycken" not in docs[0].metadata  # structured text stays out of the metadata


def test_retriever_composes_in_a_chain(searcher: Searcher) -> None:
    """A minimal LangChain pipeline: retrieve, then format the sources with their labels."""
    chain = RemissRetriever(searcher=searcher, k=2) | RunnableLambda(
        lambda docs: "\n".join(f"{d.metadata['label']}: {d.page_content[:40]}" for d in docs)
    )
    out = chain.invoke("kommunala angelägenheter")
    assert out.count("\n") == 1 and "§" in out
