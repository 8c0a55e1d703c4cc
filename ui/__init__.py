"""Small pieces the Streamlit pages share: who is logged in, formatting, error display."""
