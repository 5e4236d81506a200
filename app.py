"""Run the Needs Map dashboard: ``python app.py [--bundle PATH] [--host H] [--port P] [--debug]``,
or ``python app.py --prod [--workers N]`` (gunicorn). See dashboard/serve.py."""

import sys

from dashboard.serve import main

if __name__ == "__main__":
    sys.exit(main())
