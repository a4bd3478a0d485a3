"""The app's pages (Streamlit runs them as scripts; a package only so that the import contracts see them)."""
