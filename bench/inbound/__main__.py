"""``python -m bench.inbound``."""

import asyncio

from bench.inbound.cli import main

asyncio.run(main())
