"""Run the Needs Map dashboard: ``python app.py [--bundle PATH] [--host H] [--port P] [--debug]``."""

from __future__ import annotations

import argparse
import sys

from dashboard import DEFAULT_BUNDLE, create_app


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Needs Map dashboard")
    parser.add_argument("--bundle", default=str(DEFAULT_BUNDLE), help="data bundle folder (default data/luton)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--debug", action="store_true", help="Dash debug mode (never on a shared server)")
    args = parser.parse_args(argv)
    from geo.errors import NeedsMapError

    try:
        app = create_app(args.bundle)
    except NeedsMapError as exc:
        print(f"error: cannot load the data bundle: {exc}", file=sys.stderr)
        return 2
    print(f"Needs Map serving {app.engine.bundle.area_name} at http://{args.host}:{args.port}/")
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
