"""${{ values.name }}: a Python service made with K2's "New K2 service" template."""
