"""`remiss search` and `remiss show`: find and read law paragraphs, earlier answers and atlas entries."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from agent.cli.output import fail, open_searcher, out
from agent.config import get_settings
from agent.index.search import Filters
from agent.sources.atlas import HOLDER_SV, AtlasError, load_atlas
from agent.sources.references import law_id_for_name


def search(
    query: Annotated[str, typer.Argument(help='Fråga, sökord eller lagrum, t.ex. "KL 2:2"')],
    k: Annotated[int, typer.Option("--k", help="Antal träffar", min=1, max=200)] = 5,
    source: Annotated[
        str | None, typer.Option(help="law = bara lagar, precedent = bara tidigare remissvar")
    ] = None,
    law: Annotated[
        list[str] | None, typer.Option(help="Bara denna lag (id som sfs-2017-725, eller KL, SoL …)")
    ] = None,
    body: Annotated[
        list[str] | None, typer.Option(help="Bara remissvar från organ vars namn innehåller detta")
    ] = None,
    year_from: Annotated[int | None, typer.Option("--from", help="Remissvar från och med år")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="Remissvar till och med år")] = None,
    exclude_source: Annotated[
        list[str] | None, typer.Option(help="Uteslut ett källdokument, t.ex. remissvar/<fil>.txt")
    ] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense eller lexical")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help="Skriv träffarna som JSON")] = False,
) -> None:
    """Sök i lagar och tidigare remissvar (hybrid: exakta lagrum, BM25 och semantisk sökning)."""
    if source not in (None, "law", "precedent"):
        raise fail("--source ska vara law eller precedent.", 2)
    if mode not in ("hybrid", "dense", "lexical"):
        raise fail("--mode ska vara hybrid, dense eller lexical.", 2)
    if not query.strip():
        raise fail("Sökfrågan är tom.", 2)
    law_ids = [law_id_for_name(name) or name for name in law or []]
    filters = Filters(
        kind=source,  # type: ignore[arg-type]  # validated above
        law_ids=law_ids,
        bodies=body or [],
        year_from=year_from,
        year_to=year_to,
        exclude_sources=exclude_source or [],
    )
    searcher = open_searcher()
    hits = searcher.search(query, k=k, filters=filters, mode=mode)  # type: ignore[arg-type]  # validated above
    if as_json:
        out.print_json(data={"query": query, "mode": mode, "hits": [h.to_json() for h in hits]})
        return
    if not hits:
        out.print("Inga träffar.")
        return
    for hit in hits:
        how = "exakt lagrum" if hit.match == "exact" else f"poäng {hit.score:.4f}"
        out.print(
            f"[bold]{hit.rank}. {escape(hit.document.label)}[/]  [dim]({escape(hit.document.id)}; {how})[/]"
        )
        text = hit.document.text
        out.print(text if len(text) <= 400 else text[:400].rstrip() + " …", highlight=False)
        out.print()


def show(
    ref: Annotated[
        str,
        typer.Argument(
            help='Lagrum ("2 kap. 2 § KL", "KL 2:2"), dokument-id eller en post i ansvarsatlasen '
            '("ansvar/staten-polis"; "ansvar" listar alla)'
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv som JSON")] = False,
) -> None:
    """Visa hela texten i ett lagrum, ett avsnitt ur ett tidigare remissvar eller en post i ansvarsatlasen."""
    if ref.strip().startswith("ansvar"):
        _show_atlas(ref.strip(), as_json)
        return
    searcher = open_searcher()
    doc = searcher.get(ref.strip())
    docs = [doc] if doc else searcher.resolve_references(ref)
    if not docs:
        raise fail(f'Hittar inget lagrum eller dokument som motsvarar "{ref}".')
    if as_json:
        data = [
            {
                "id": d.id,
                "kind": d.kind,
                "label": d.label,
                "source": d.source,
                "text": d.text,
                "metadata": d.metadata,
            }
            for d in docs
        ]
        out.print_json(data={"ref": ref, "documents": data})
        return
    for d in docs:
        out.print(f"[bold]{escape(d.label)}[/]  [dim]({escape(d.id)})[/]")
        out.print(d.text, highlight=False)
        out.print()


def _show_atlas(ref: str, as_json: bool) -> None:
    """One ansvarsatlas entry with the text of its legal basis, or (for "ansvar") the list of entries."""
    try:
        atlas = load_atlas(get_settings().corpus_dir)
    except AtlasError as exc:
        raise fail(str(exc)) from exc
    if ref.rstrip("/") == "ansvar":
        if as_json:
            out.print_json(data={"entries": [e.to_json() for e in atlas.entries]})
            return
        for e in atlas.entries:  # one line per entry: the id must stay whole (it is what `show` takes)
            out.print(
                f"{escape(e.doc_id)}  [dim]{escape(e.area)} — {HOLDER_SV[e.holder]} ({escape(e.actor)})[/]",
                soft_wrap=True,
            )
        return
    entry = atlas.get(ref)
    if entry is None:
        raise fail(f'Ansvarsatlasen har ingen post "{ref}". Lista posterna med `remiss show ansvar`.')
    searcher = open_searcher()
    basis = [(pid, searcher.get(pid)) for pid in entry.legal_basis]
    if as_json:
        data = entry.to_json() | {
            "legal_basis_text": [
                {"id": pid, "label": d.label if d else None, "text": d.text if d else None}
                for pid, d in basis
            ]
        }
        out.print_json(data=data)
        return
    out.print(f"[bold]{escape(entry.label)}[/]  [dim]({escape(entry.doc_id)}, {escape(entry.file)})[/]")
    out.print(entry.statement, highlight=False)
    out.print(f"[dim]Stödord:[/] {escape(', '.join(entry.cues))}", highlight=False)
    if entry.counter_cues:
        out.print(f"[dim]Motord:[/] {escape(', '.join(entry.counter_cues))}", highlight=False)
    out.print(f"[dim]Källa:[/] {escape(entry.source_note)}\n", highlight=False)
    for pid, d in basis:
        if d is None:
            out.print(f"[red]{escape(pid)} finns inte i indexet[/]")
        else:
            out.print(f"[bold]{escape(d.label)}[/]  [dim]({escape(d.id)})[/]")
            out.print(d.text, highlight=False)
        out.print()
