"""A drafting conversation step in its own process (tests/test_conversation.py): a restart loses nothing.

    python tests/conversation_child.py DATA_DIR CORPUS_DIR DB THREAD start|resume|send [ANSWER_JSON]

Prints the thread's turn as JSON: version, what it waits for, the draft's text and standpoint.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from conftest import FIXTURE_CORPUS, STOCKHOLM, make_settings
from fake_chat import FakeChat

from agent.drafting.factory import PipelineFactory
from agent.drafting.intake import load_intake
from agent.drafting.pipeline import DraftState
from agent.drafting.thread import DraftThread, open_checkpointer
from agent.index.search import Searcher


def main(data_dir: str, corpus_dir: str, db: str, thread_id: str, action: str, answer: str = "null") -> None:
    settings = make_settings(Path(data_dir), corpus_dir=Path(corpus_dir))
    searcher = Searcher.open(settings)
    factory = PipelineFactory.from_settings(settings, FakeChat(standpoint="besvarad", support=[1, 2]))
    with open_checkpointer(Path(db)) as saver:
        thread = DraftThread(factory.build_graph(searcher, checkpointer=saver), thread_id)
        if action == "start":
            state = DraftState(intake=load_intake(FIXTURE_CORPUS / STOCKHOLM), exclude_sources=(STOCKHOLM,))
            turn = thread.start(state, pause=("intake", "standpoint"))
        elif action == "resume":
            turn = thread.resume(json.loads(answer))
        else:
            turn = thread.send(json.loads(answer))
    searcher.close()
    draft = turn.state.draft
    print(
        json.dumps(
            {
                "version": turn.version,
                "waiting_for": turn.waiting_for,
                "text": draft.text if draft else None,
                "standpoint": draft.analysis.standpoint if draft else None,
                "checkpoint": turn.checkpoint_id,
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
