"""python -m graphscope: the graphscope command."""
from .cli import main

raise SystemExit(main())
