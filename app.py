"""voc: the app frame. The pages and their order live in voc.ui.PAGES."""

from voc import ui

ui.run_app()
