"""``python -m bench.outbound``."""

import asyncio

from bench.outbound.cli import main

asyncio.run(main())
