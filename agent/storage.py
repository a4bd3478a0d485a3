"""The app's persistent state: cases, draft versions, conversations, reviews, feedback and an audit log.

One SQLite file under the data dir (`data_dir/app.sqlite`, WAL mode). Every call opens its own short
connection, so Streamlit's threads (one per browser session) never share one. Everything belongs to an
`owner` (the logged-in user, or the anonymous workspace of one browser): a case of one owner is never
listed, read or changed through another owner.

A draft version stores the `Draft` as JSON (for reading, comparing and exporting) and the id of its
checkpoint in the drafting conversation (`data_dir/conversations.sqlite`, agent/drafting/thread.py),
from which a chat revision continues after a browser reload or an app restart. Versions written by
earlier releases kept a pickled state instead (column `state`); it is never read again: those versions
have no checkpoint and can be read, compared and exported, not revised.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, created REAL NOT NULL, title TEXT NOT NULL,
    filename TEXT NOT NULL, remiss_text TEXT NOT NULL, intake_json TEXT NOT NULL,
    exclude_sources TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS cases_owner ON cases(owner, created);
CREATE TABLE IF NOT EXISTS intake_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL REFERENCES cases(id), replaced REAL NOT NULL,
    title TEXT NOT NULL, intake_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL REFERENCES cases(id),
    version INTEGER NOT NULL, created REAL NOT NULL, origin TEXT NOT NULL, note TEXT NOT NULL,
    draft_json TEXT NOT NULL, state BLOB, checkpoint TEXT, UNIQUE (case_id, version)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, case_id TEXT NOT NULL REFERENCES cases(id), created REAL NOT NULL,
    role TEXT NOT NULL, text TEXT NOT NULL, version INTEGER
);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, created REAL NOT NULL,
    left_ref TEXT NOT NULL, right_ref TEXT NOT NULL, verdict TEXT NOT NULL, comment TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    owner TEXT NOT NULL, draft_id INTEGER NOT NULL REFERENCES drafts(id), created REAL NOT NULL,
    score INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '', PRIMARY KEY (owner, draft_id)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, owner TEXT NOT NULL, case_id TEXT NOT NULL,
    draft_id INTEGER NOT NULL, event TEXT NOT NULL, input_sha256 TEXT NOT NULL, backend TEXT NOT NULL,
    model TEXT NOT NULL, prompt_version TEXT NOT NULL, sources TEXT NOT NULL, verification TEXT NOT NULL
);
"""


class NotFoundError(KeyError):
    """The case or draft does not exist for this owner (Swedish message)."""


@dataclass(frozen=True)
class CaseRow:
    id: str
    owner: str
    created: float
    title: str
    filename: str
    remiss_text: str
    intake: dict[str, Any]
    exclude_sources: list[str]


@dataclass(frozen=True)
class IntakeRevision:
    """What was understood of a remiss before a correction replaced it."""

    replaced: float  # when the correction was made
    title: str
    intake: dict[str, Any]


@dataclass(frozen=True)
class DraftRow:
    id: int
    case_id: str
    version: int
    created: float
    origin: str  # "pipeline", "chat", "manual"
    note: str  # the chat request or "Manuell ändring"
    draft: dict[str, Any]  # Draft.to_json()
    checkpoint: str | None = None  # the conversation checkpoint (None: written by an earlier release)

    @property
    def ref(self) -> str:
        return f"{self.case_id}:{self.version}"


@dataclass(frozen=True)
class MessageRow:
    role: str
    text: str
    version: int | None
    created: float


class Storage:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(drafts)")}
            if "checkpoint" not in columns:  # a data dir of an earlier release
                db.execute("ALTER TABLE drafts ADD COLUMN checkpoint TEXT")

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA foreign_keys=ON")
        try:
            with db:
                yield db
        finally:
            db.close()

    # ------------------------------------------------------------------ cases
    def create_case(
        self,
        owner: str,
        title: str,
        filename: str,
        remiss_text: str,
        intake: dict[str, Any],
        exclude_sources: list[str] | None = None,
    ) -> str:
        case_id = uuid.uuid4().hex[:12]
        with self._db() as db:
            db.execute(
                "INSERT INTO cases VALUES (?,?,?,?,?,?,?,?)",
                (
                    case_id,
                    owner,
                    time.time(),
                    title,
                    filename,
                    remiss_text,
                    json.dumps(intake, ensure_ascii=False),
                    json.dumps(exclude_sources or []),
                ),
            )
        return case_id

    def update_case(self, owner: str, case_id: str, *, title: str, intake: dict[str, Any]) -> None:
        """Replace the case's title and intake; the replaced ones are kept (`intake_history`)."""
        self.case(owner, case_id)
        with self._db() as db:
            db.execute(
                "INSERT INTO intake_history (case_id, replaced, title, intake_json) "
                "SELECT id, ?, title, intake_json FROM cases WHERE id = ? AND owner = ?",
                (time.time(), case_id, owner),
            )
            db.execute(
                "UPDATE cases SET title = ?, intake_json = ? WHERE id = ? AND owner = ?",
                (title, json.dumps(intake, ensure_ascii=False), case_id, owner),
            )

    def intake_history(self, owner: str, case_id: str) -> list[IntakeRevision]:
        """The case's replaced intakes, oldest first (the first is what was read from the remiss)."""
        self.case(owner, case_id)
        with self._db() as db:
            rows = db.execute(
                "SELECT replaced, title, intake_json FROM intake_history WHERE case_id = ? ORDER BY id",
                (case_id,),
            ).fetchall()
        return [IntakeRevision(r[0], r[1], json.loads(r[2])) for r in rows]

    def case(self, owner: str, case_id: str) -> CaseRow:
        with self._db() as db:
            row = db.execute("SELECT * FROM cases WHERE id = ? AND owner = ?", (case_id, owner)).fetchone()
        if row is None:
            raise NotFoundError(f"Ärendet {case_id} finns inte.")
        return CaseRow(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]), json.loads(row[7]))

    def cases(self, owner: str) -> list[CaseRow]:
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM cases WHERE owner = ? ORDER BY created DESC", (owner,)
            ).fetchall()
        return [CaseRow(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7])) for r in rows]

    # ------------------------------------------------------------------ drafts
    def add_draft(
        self,
        owner: str,
        case_id: str,
        draft: dict[str, Any],
        *,
        origin: str,
        note: str = "",
        checkpoint: str | None = None,
        backend: str = "",
    ) -> DraftRow:
        case = self.case(owner, case_id)
        now = time.time()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # the next version number is read and used under one write lock
            version = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM drafts WHERE case_id = ?", (case_id,)
            ).fetchone()[0]
            cur = db.execute(
                "INSERT INTO drafts (case_id, version, created, origin, note, draft_json, checkpoint) "
                "VALUES (?,?,?,?,?,?,?)",
                (case_id, version, now, origin, note, json.dumps(draft, ensure_ascii=False), checkpoint),
            )
            draft_id = int(cur.lastrowid or 0)
            db.execute(
                "INSERT INTO audit (created, owner, case_id, draft_id, event, input_sha256, backend, model, "
                "prompt_version, sources, verification) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    now,
                    owner,
                    case_id,
                    draft_id,
                    origin,
                    hashlib.sha256(case.remiss_text.encode("utf-8")).hexdigest(),
                    backend,
                    draft.get("model", ""),
                    draft.get("prompt_version", ""),
                    json.dumps([s["id"] for s in draft.get("sources", [])]),
                    json.dumps(draft.get("verification", {}), ensure_ascii=False),
                ),
            )
        return DraftRow(draft_id, case_id, version, now, origin, note, draft, checkpoint)

    def drafts(self, owner: str, case_id: str) -> list[DraftRow]:
        self.case(owner, case_id)
        with self._db() as db:
            rows = db.execute(
                "SELECT id, case_id, version, created, origin, note, draft_json, checkpoint FROM drafts "
                "WHERE case_id = ? ORDER BY version",
                (case_id,),
            ).fetchall()
        return [DraftRow(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7]) for r in rows]

    def draft_by_ref(self, owner: str, ref: str) -> DraftRow:
        case_id, _, version = ref.partition(":")
        for row in self.drafts(owner, case_id):
            if str(row.version) == version:
                return row
        raise NotFoundError(f"Utkastet {ref} finns inte.")

    # ------------------------------------------------------------------ conversation
    def add_message(self, owner: str, case_id: str, role: str, text: str, version: int | None = None) -> None:
        self.case(owner, case_id)
        with self._db() as db:
            db.execute(
                "INSERT INTO messages (case_id, created, role, text, version) VALUES (?,?,?,?,?)",
                (case_id, time.time(), role, text, version),
            )

    def messages(self, owner: str, case_id: str) -> list[MessageRow]:
        self.case(owner, case_id)
        with self._db() as db:
            rows = db.execute(
                "SELECT role, text, version, created FROM messages WHERE case_id = ? ORDER BY id", (case_id,)
            ).fetchall()
        return [MessageRow(*r) for r in rows]

    # ------------------------------------------------------------------ reviews and feedback
    def add_review(self, owner: str, left_ref: str, right_ref: str, verdict: str, comment: str) -> None:
        """A reviewer's verdict on two drafts; a draft ref ("case:version") must be the owner's own (the
        other side may be a pasted real answer, which has no ref of that form)."""
        for ref in (left_ref, right_ref):
            if ":" in ref:
                self.draft_by_ref(owner, ref)
        with self._db() as db:
            db.execute(
                "INSERT INTO reviews (owner, created, left_ref, right_ref, verdict, comment) "
                "VALUES (?,?,?,?,?,?)",
                (owner, time.time(), left_ref, right_ref, verdict, comment),
            )

    def reviews(self, owner: str) -> list[dict[str, Any]]:
        with self._db() as db:
            rows = db.execute(
                "SELECT created, left_ref, right_ref, verdict, comment FROM reviews "
                "WHERE owner = ? ORDER BY id",
                (owner,),
            ).fetchall()
        return [dict(zip(("created", "left", "right", "verdict", "comment"), r, strict=True)) for r in rows]

    def set_feedback(self, owner: str, draft_id: int, score: int, comment: str = "") -> None:
        with self._db() as db:
            mine = db.execute(
                "SELECT 1 FROM drafts JOIN cases ON cases.id = drafts.case_id "
                "WHERE drafts.id = ? AND cases.owner = ?",
                (draft_id, owner),
            ).fetchone()
            if mine is None:
                raise NotFoundError(f"Utkastet {draft_id} finns inte.")
            db.execute(
                "INSERT INTO feedback VALUES (?,?,?,?,?) ON CONFLICT(owner, draft_id) "
                "DO UPDATE SET score = excluded.score, comment = excluded.comment, "
                "created = excluded.created",
                (owner, draft_id, time.time(), score, comment),
            )

    def feedback(self, owner: str, draft_id: int) -> int | None:
        with self._db() as db:
            row = db.execute(
                "SELECT score FROM feedback WHERE owner = ? AND draft_id = ?", (owner, draft_id)
            ).fetchone()
        return int(row[0]) if row else None

    # ------------------------------------------------------------------ audit
    def audit(self, owner: str | None = None) -> list[dict[str, Any]]:
        """Every draft produced (all owners if `owner` is None), oldest first."""
        cols = (
            "created", "owner", "case_id", "draft_id", "event", "input_sha256", "backend", "model",
            "prompt_version", "sources", "verification",
        )  # fmt: skip
        query = f"SELECT {', '.join(cols)} FROM audit"
        args: tuple[str, ...] = ()
        if owner is not None:
            query += " WHERE owner = ?"
            args = (owner,)
        with self._db() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        out = []
        for r in rows:
            item = dict(zip(cols, r, strict=True))
            item["sources"] = json.loads(item["sources"])
            item["verification"] = json.loads(item["verification"])
            out.append(item)
        return out
