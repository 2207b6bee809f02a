"""``python -m infantfer.demo [PATH]``: regenerate resources/demo_grid.png (or PATH)."""
import sys

from . import save_sample_grid

save_sample_grid(sys.argv[1] if len(sys.argv) > 1 else "resources/demo_grid.png")
