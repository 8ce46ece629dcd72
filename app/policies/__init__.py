"""Policy documents, their versions, and people's signed acknowledgements."""
