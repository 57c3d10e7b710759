#!/usr/bin/env python
"""Same as the installed `hutor` command."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from hutor.cli import main

if __name__ == "__main__":
    main()
