"""Language-model backends for the drafting agent.

One code path: everything talks to an OpenAI-compatible chat endpoint. By default that is a local
llama.cpp server started by the app on a GGUF model (`local_model.py` finds or assembles it);
with OPENAI_BASE_URL / OPENAI_API_KEY it is OpenAI or any compatible server (`backends.py`).
"""

from agent.llm.backends import ChatBackend, ChatModel, LocalServer, choose_kind, open_backend
from agent.llm.local_model import (
    ChecksumError,
    LLMError,
    ModelNotInstalledError,
    assemble_gguf,
    resolve_model_path,
    smollm2_path,
)

__all__ = [
    "ChatBackend",
    "ChatModel",
    "ChecksumError",
    "LLMError",
    "LocalServer",
    "ModelNotInstalledError",
    "assemble_gguf",
    "choose_kind",
    "open_backend",
    "resolve_model_path",
    "smollm2_path",
]
