"""Synthetic 10-genre demo dataset, so GenreLab works on a fresh machine without any download.

Every clip is synthesised from scratch with numpy/scipy: a genre chooses a tempo range, a drum
pattern, a chord progression and a set of instruments; each clip then randomises key, tempo, swing,
drum-kit timbre, instrument subset, levels, EQ, reverb and background noise, so that genres overlap
somewhat (rock and metal share power chords, disco and pop share four-on-the-floor, blues and jazz
share swing and walking bass, reggae and hip-hop are both slow and bass-heavy). A decent classifier
should do well on this set, but not perfectly.

Modules: :mod:`.theory` (intervals, voicing, rhythmic grid), :mod:`.instruments` (drums, plucks,
keys, oscillators, effects), :mod:`.styles` (one :class:`~.arrangement.Style` per genre),
:mod:`.arrangement` (per-clip state and parts), :mod:`.clip` (one clip, mastered) and :mod:`.dataset`
(the folder writer).

Public API:

* :func:`make_demo_dataset` -- write a GTZAN-style folder tree ``<root>/<genre>/<genre>.000NN.wav``.
* :func:`.clip.synth_clip` -- one mono clip for a genre and a seed (deterministic). Imported from :mod:`.clip`, not
  from here: finding an existing demo set (every page's first visit) must not load the synthesiser's scipy.signal
  and librosa (about a second on a cold server).

Timbres: Karplus-Strong plucks (via :func:`scipy.signal.lfilter`), tanh-distorted sawtooth guitars,
vibrato string ensembles, additive keys, sine/saw basses and drums built from filtered noise and
pitch-swept sines.
"""

SYNTH_VERSION = 1
"""Bumped whenever the synthesis changes, so cached demo folders are regenerated."""

# after SYNTH_VERSION, which it reads
from .dataset import MANIFEST, clip_seed, default_root, make_demo_dataset  # noqa: E402

__all__ = ["MANIFEST", "SYNTH_VERSION", "clip_seed", "default_root", "make_demo_dataset"]
