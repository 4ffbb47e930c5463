"""`clinic feed-url therapist|room|clinic [ID] [--rotate]`: print or replace a private feed URL."""

from __future__ import annotations

import argparse
from typing import Any

from services import cli
from shared import feeds
from shared.catalog import rotate_feed_token
from shared.config import Settings
from shared.db import Database
from shared.directory import get_clinic
from shared.errors import InvalidInput, NotFound
from shared.models import Clinic, Room, Therapist


def feed_url(args: argparse.Namespace, settings: Settings) -> int:
    if args.kind == "clinic" and args.id is not None:
        raise InvalidInput("the clinic's feed takes no ID", field="id")
    if args.kind != "clinic" and args.id is None:
        raise InvalidInput(f"give the {args.kind}'s ID, e.g. `clinic feed-url {args.kind} 1`")
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            owner: Clinic | Therapist | Room | None
            if args.kind == "clinic":
                owner = get_clinic(session)
            else:
                model: Any = Therapist if args.kind == "therapist" else Room
                owner = session.get(model, args.id)
                if owner is None:
                    raise NotFound(f"No {args.kind} with id {args.id}", field="id")
            label = owner.name
            if args.rotate:
                token = rotate_feed_token(session, owner)
            else:
                token = feeds.ensure_feed_token(session, owner)
    finally:
        database.dispose()
    urls = feeds.feed_urls(settings.public_base_url, args.kind, token)
    if args.rotate:
        print(f"New feed URL for {label} (the old one stopped working just now):")
    else:
        print(f"Private feed URL for {label} (anyone with it can read the calendar):")
    print(f"  {urls['https']}")
    print(f"  {urls['webcal']}")
    return 0


def _extend(sub: Any) -> None:
    parser = sub.add_parser(
        "feed-url",
        help="print the private iCal feed URL of a therapist, a room or the clinic",
        description="Print the private iCal subscription URL (https:// and webcal://). "
        "--rotate replaces the secret, so the old URL answers 404 at once.",
    )
    parser.add_argument("kind", choices=feeds.KINDS)
    parser.add_argument("id", nargs="?", type=int, help="therapist or room ID (not for clinic)")
    parser.add_argument("--rotate", action="store_true", help="replace the URL's secret token")
    parser.set_defaults(cmd="feed-url")


cli.COMMANDS["feed-url"] = feed_url
cli.EXTENSIONS.append(_extend)
