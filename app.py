"""voc: the app frame. The pages and their order live in voc.app.frame.PAGES."""

from voc.app import frame

frame.run_app()
