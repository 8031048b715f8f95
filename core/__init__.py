"""GenreLab core: audio, features, models, training and evaluation for music-genre classification.

Never imports streamlit: the pages in ``app_pages/`` and the CLI in ``core.cli`` are thin layers over
the public functions of these modules.
"""

GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
