"""Entry point for separate job processes: `huey_consumer tasks.consumer.huey -k thread -w 4`.

Builds the app once so the queue, database and rules are configured from config.toml.
"""

from app import create_app
from tasks import huey

app = create_app()

__all__ = ["app", "huey"]
