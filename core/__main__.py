import os
import sys

from .base.threads import passive_wait

passive_wait(os.environ)  # before .cli imports torch: libgomp reads it once, at load

from .cli import main  # noqa: E402

sys.exit(main())
