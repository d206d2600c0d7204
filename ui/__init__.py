"""The web page and its API (gradio), as a package; ``app.py`` parses flags and launches it.

- :mod:`ui.serving`: run folders, work slots, the answer cache, handing memory back
- :mod:`ui.handlers`: :class:`~ui.handlers.PageHandlers`, what each event and API call does
- :mod:`ui.html`: HTML built from results (gloss chips, compare grid and table, model figures)
- :mod:`ui.tab_sign`, :mod:`ui.tab_compare`: one module per tab, layout only
- :mod:`ui.page`: the tabs wired to the handlers; CSS/JS from ``ui/static``, help from ``ui/help``

The library (``sign_pipeline``) knows nothing of this package.
"""
