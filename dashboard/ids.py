"""Component ids, as constants (one place to rename; tests and callbacks import them)."""

URL = "url"
STATE = "view-state"
NOTICE = "url-notice"
TABS = "page-tabs"  # the tablist of the four pages
PAGE_VIEW = "page-view"  # store: the page shown; a clientside callback shows its panel


def page_tab(page: str) -> str:
    """Id of a page's tab button (string ids: aria-controls and aria-labelledby refer to them)."""
    return f"page-tab-{page}"


def page_panel(page: str) -> str:
    return f"page-panel-{page}"


NEEDS_VIEW = "needs-view"  # store: the Needs page's slice of the state
ACCESS_VIEW = "access-view"  # store: the Access page's slice of the state
TILES_VIEW = "tiles-view"  # store: set only when the basemap option changes
TILES = "basemap-tiles"
LABELS = "ward-names-switch"
COPY_LINK = "copy-link"
LINK_TEXT = "link-text"
COPY_STATUS = "copy-link-status"
COPY_FALLBACK = "copy-link-fallback"
COPY_FALLBACK_BOX = "copy-link-fallback-box"

# Needs page
NEEDS_MAP = "needs-map"
NEEDS_MAP_NOTE = "needs-map-note"
INDICATOR = "needs-indicator"
LEVEL = "needs-level"
NEEDS_WARD_SET = "needs-ward-set"
WEIGHTS = "needs-weights"  # pattern: {"type": WEIGHTS, "indicator": id}
INDICATOR_INFO = "needs-indicator-info"
WARD_PROFILE = "needs-ward-profile"
NEEDS_TABLE = "needs-ranked-table"

# Access page
ACCESS_MAP = "access-map"
ACCESS_MAP_DRAWN = "access-map-drawn"  # store: True once the Access map has its boundaries
NEEDS_LSOA_LEVELS_DRAWN = "needs-lsoa-levels-drawn"  # store: the LSOA levels whose boundaries the Needs map has
MAP_PREVIEW = "access-map-preview"  # store: the arrays the browser recolours the map with (preview.py)
BASE = "access-base"
SITE_CHECKLIST = "access-site-checklist"
MODE = "access-mode"
THRESHOLD = "access-threshold"
THRESHOLD_UNIT = "access-threshold-unit"
THRESHOLD_ERROR = "access-threshold-error"
POPULATION = "access-population"
WARD_SET = "access-ward-set"
COMPARE = "access-compare"
COLOUR_BY = "access-colour-by"
ADD_LABEL = "access-add-label"
ADD_WHERE = "access-add-where"
ADD_BUTTON = "access-add-button"
ADD_ERROR = "access-add-error"
ADDED_LIST = "access-added-list"
CLEAR_ADDED = "access-clear-added"
MOVE_SITE = "access-move-site"
MOVE_WHERE = "access-move-where"
MOVE_WHERE_TEXT = "access-move-where-text"
MOVE_BUTTON = "access-move-button"
MOVE_RESET = "access-move-reset"
MOVE_ERROR = "access-move-error"
ASSUMPTIONS = "access-assumptions"
HEADLINES = "access-headlines"
HEADLINE_COMPACT = "access-headline-compact"
DECILE_CHART = "access-decile-chart"
CURVE_CHART = "access-curve-chart"
WARD_TABLE = "access-ward-table"
LOST_TABLE = "access-lost-table"
UNLOCATED = "access-unlocated"
DECILE_TEXT = "access-decile-text"
CURVE_TEXT = "access-curve-text"

# Sites page
SITES_TABLE = "sites-table"
SITES_MAP = "sites-map"
SITES_MAP_DRAWN = "sites-map-drawn"  # store: True once the Sites map has its boundaries

# Briefing download (header)
BRIEF_BUTTON = "briefing-button"
BRIEF_FORMAT = "briefing-format"
BRIEF_STATUS = "briefing-status"
BRIEF_DOWNLOAD = "briefing-download"
BRIEF_JOB = "briefing"  # its watchdog's parts: dashboard.jobs.part_id(BRIEF_JOB, part)

# Optimise panel (Access page)
OPT_OBJECTIVE = "opt-objective"
OPT_P = "opt-p"
OPT_FIXED = "opt-fixed"
OPT_KEEP = "opt-keep"
OPT_CANDIDATES = "opt-candidates"
OPT_WARDS = "opt-wards"
OPT_UPLOAD = "opt-upload"
OPT_WEIGHT = "opt-weight"
OPT_RUN = "opt-run"
OPT_CANCEL = "opt-cancel"
OPT_STATUS = "opt-status"
OPT_RESULT = "opt-result"
OPT_ADOPT = "opt-adopt"
OPT_STORE = "opt-store"
OPT_JOB = "optimiser"  # its watchdog's parts: dashboard.jobs.part_id(OPT_JOB, part)

# Equality impact section (Access page)
EQUALITY_TABLE = "equality-table-choice"
EQUALITY_SUMMARY = "equality-summary"
EQUALITY_CHART = "equality-chart"
EQUALITY_DETAIL = "equality-detail"
EQUALITY_CSV_BUTTON = "equality-csv-button"
EQUALITY_CSV = "equality-csv-download"


# Ward finder (Needs and Access pages): one per page, ids by page
def find_text(page: str) -> str:
    return f"{page}-find-text"


def find_button(page: str) -> str:
    return f"{page}-find-button"


def find_clear(page: str) -> str:
    return f"{page}-find-clear"


def find_error(page: str) -> str:
    return f"{page}-find-error"


FINDER_PAGES = ("needs", "access")
ACCESS_WARD_CARD = "access-ward-card"
WARD_BRIEF_BUTTON = "ward-briefing-button"
WARD_BRIEF_DOWNLOAD = "ward-briefing-download"
WARD_BRIEF_STATUS = "ward-briefing-status"
# Saved scenarios (dashboard/layouts/saved.py, dashboard/callbacks/saved.py)
SAVE_NAME = "saved-name"
SAVE_NOTE = "saved-note"
SAVE_AUTHOR = "saved-author"
SAVE_BUTTON = "saved-save"
SAVED_SELECT = "saved-select"
SAVED_OPEN = "saved-open"
SAVED_RENAME = "saved-rename"
SAVED_DELETE = "saved-delete"
SAVED_STATUS = "saved-status"
SAVED_DETAIL = "saved-detail"
SAVED_PENDING = "saved-pending-delete"
SAVED_SEARCH = "saved-search"
SAVED_MORE = "saved-more"
SAVED_WRITE = "saved-write-controls"  # shown to editors only (dashboard.auth)
ACCOUNT = "account"  # who is signed in
SIGN_IN = "sign-in"
SIGN_OUT = "sign-out"
# The Options page (dashboard/pages/options.py)
OPTIONS_CHOICES = "options-choices"
OPTIONS_BASELINE = "options-baseline"
OPTIONS_MESSAGE = "options-message"
OPTIONS_TABLE = "options-table"
OPTIONS_MAPS = "options-maps"
OPTIONS_FORMAT = "options-format"
OPTIONS_DOWNLOAD_BUTTON = "options-download-button"
OPTIONS_DOWNLOAD = "options-download"
OPTIONS_SETTINGS = "options-settings"
# The maps and the options briefing are drawn in background jobs, off the callback slot other
# people's clicks need (matplotlib: 0.2-1 s each); their watchdogs' parts as for BRIEF_JOB
OPTIONS_MAPS_JOB = "options-maps"
OPTIONS_MAPS_REQUEST = "options-maps-request"  # a number that grows with each table drawn
OPTIONS_MAPS_BUSY = "options-maps-busy"  # true while the maps' job runs
OPTIONS_MAPS_STATUS = "options-maps-status"
OPTIONS_BRIEF_JOB = "options-briefing"
OPTIONS_BRIEF_STATUS = "options-briefing-status"
SITES_LOAD_TABLE = "access-sites-load-table"
CAP_SITE = "access-capacity-site"
CAP_VALUE = "access-capacity-value"
CAP_SET = "access-capacity-set"
CAP_CLEAR = "access-capacity-clear"
CAP_ERROR = "access-capacity-error"
CAP_LIST = "access-capacity-list"
SITES_CAPACITY_SUMMARY = "access-capacity-summary"


# The callbacks that wait on the scenario database (by one of their outputs): served outside the
# callback slot, so that a database that stops answering holds up no one else's clicks
# (dashboard.serving.CallbackSlots)
DATABASE_OUTPUTS = (
    f"{SAVED_STATUS}.children",
    f"{SAVED_SELECT}.options",
    f"{SAVED_DETAIL}.children",
    f"{ACCOUNT}.children",
    f"{OPTIONS_CHOICES}.options",
)
