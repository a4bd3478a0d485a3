"""Inställningar: what is in use (index, model, prompts), how to connect a stronger model, the audit log."""

from __future__ import annotations

import json

import streamlit as st

from ui.common import owner, service

svc = service()
me = owner()
st.title("Inställningar")
status = svc.status()
c1, c2, c3 = st.columns(3)
c1.metric("Index", f"{status.documents} dokument" if status.index_ok else "saknas")
c2.metric("Språkmodell", "lokal" if status.backend == "local" else "OpenAI-kompatibel")
c3.metric("Promptversion", status.prompt_version)
st.write(f"**Modell:** {status.model}")
st.write(f"**Index:** {status.index_message} ({svc.settings.data_dir})")
if status.embedded_default:
    st.info(
        "Den inbyggda modellen (Qwen2.5-Coder-1.5B) körs helt lokalt men skriver grova utkast: den väljer "
        "bara bland hämtade källor och texten sätts ihop av kontrollerade formuleringar. För bättre utkast, "
        "starta appen med en starkare modell:\n\n"
        "- OpenAI: `OPENAI_API_KEY=… REMISS_LLM_MODEL=gpt-4o-mini`\n"
        "- egen server (vLLM, Ollama, llama.cpp, Azure): `OPENAI_BASE_URL=http://server:8000/v1 "
        "REMISS_LLM_MODEL=<modellnamn>`\n"
        "- en annan GGUF-fil lokalt: `REMISS_LLM_MODEL_PATH=/sökväg/modell.gguf`"
    )
st.subheader("Logg över framtagna utkast")
st.caption(
    "Varje utkast: när, vilken indata (sha256), språkmodell, promptversion och vilka källor som användes."
)
audit = svc.audit(me)
st.dataframe(
    [
        {k: v for k, v in a.items() if k not in ("sources", "verification")} | {"källor": len(a["sources"])}
        for a in audit
    ],
    width="stretch",
)
st.download_button(
    "Exportera loggen (JSON)",
    json.dumps(audit, ensure_ascii=False, indent=1),
    file_name="remissagenten-logg.json",
    mime="application/json",
)
st.subheader("Inloggning")
st.write(
    "Utan inloggning har varje webbläsare en egen arbetsyta (länken innehåller `arbetsyta=`). För att "
    "skydda utkasten när appen nås av andra: skapa ett konto per användare med `remiss user add NAMN` "
    "(namn + eget lösenord) eller konfigurera OIDC-inloggning i `.streamlit/secrets.toml` (`[auth]`, "
    "Streamlits `st.login`)."
)
