"""The only Streamlit adapter: the frame, cached loaders, widgets and displays the pages share."""
