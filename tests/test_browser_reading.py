"""What people read in the browser: a saved scenario called by its name after ``/s/<id>``, the
optimiser answering the question users have first, Find taking the keyboard to its result,
and no proposed site drawn as closed in today's network."""

import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from dashboard import ids

pytestmark = pytest.mark.browser


def _text(dash_duo, selector: str) -> str:
    return dash_duo.find_element(selector).text


def test_a_saved_scenario_keeps_its_name_on_its_cards_after_reopening(dash_duo, luton_app, luton_engine):
    from geo.viewstate import default_state, encode

    e = luton_engine
    state = {**default_state(e), "page": "access", "base": "current_2020", "close": ["denbigh"]}
    saved = luton_app.scenario_store.save("Denbigh closes", encode(state), area=e.bundle.area_name)
    dash_duo.start_server(luton_app)
    dash_duo.driver.get(f"{dash_duo.server_url}/s/{saved.id}")
    dash_duo.wait_for_contains_text("#headline-alt", "Denbigh closes:", timeout=20)
    assert "Current (2020), modified" not in _text(dash_duo, f"#{ids.HEADLINES}")


def test_the_optimiser_places_the_undecided_hub_by_default(dash_duo, luton_app):
    """From the default Proposed view the first question is where the Leagrave hub goes: LU4 9DD
    (20-minute walk, the postcodes of the four Leagrave-area wards), named with its ward."""
    dash_duo.start_server(luton_app)
    dash_duo.driver.get(dash_duo.server_url + "/?page=access")
    dash_duo.wait_for_element("#headline-alt", timeout=20)
    chosen = dash_duo.find_element(f"#{ids.OPT_KEEP} input:checked").get_attribute("value")
    assert chosen == "place"
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView(); arguments[0].click();", dash_duo.find_element(f"#{ids.OPT_RUN}")
    )
    dash_duo.wait_for_contains_text(f"#{ids.OPT_RESULT}", "optimal", timeout=60)
    text = _text(dash_duo, f"#{ids.OPT_RESULT}")
    assert "Places Leagrave area family resource hub" in text
    assert "LU4 9DD" in text and "Leagrave ward" in text and "postcode sector LU4 9" in text


def test_find_takes_the_keyboard_to_its_result(dash_duo, luton_app):
    """Type a ward and press Enter: the ward's card has the focus (no Tab press needed; the test
    allows three) and is in view, at a phone's width too."""
    driver = dash_duo.driver
    dash_duo.start_server(luton_app)
    driver.get(dash_duo.server_url + "/?page=access")
    dash_duo.wait_for_element("#headline-alt", timeout=20)
    for width in (1366, 420):
        driver.set_window_size(width, 900)
        box = dash_duo.find_element(f"#{ids.find_text('access')}")
        driver.execute_script("arguments[0].value = ''; arguments[0].focus();", box)
        ActionChains(driver).send_keys("Saints", Keys.ENTER).perform()
        dash_duo.wait_for_contains_text(f"#{ids.ACCESS_WARD_CARD}", "Saints", timeout=15)
        inside_js = f"return document.getElementById('{ids.ACCESS_WARD_CARD}').contains(document.activeElement);"
        deadline = time.time() + 5  # the focus moves once the card has been drawn
        while time.time() < deadline and not driver.execute_script(inside_js):
            time.sleep(0.1)
        reached = False
        for _presses in range(4):  # the result itself, or within three Tab presses of Find
            if driver.execute_script(inside_js):
                reached = True
                break
            ActionChains(driver).send_keys(Keys.TAB).perform()
            time.sleep(0.1)
        assert reached, f"the ward card was not reached at {width} px"
        top_js = f"return document.getElementById('{ids.ACCESS_WARD_CARD}').getBoundingClientRect().top;"
        deadline = time.time() + 3  # the page settles (cards drawn above it) within moments
        while time.time() < deadline and not 0 <= driver.execute_script(top_js) < 900:
            time.sleep(0.1)
        top = driver.execute_script(top_js)
        assert 0 <= top < 900, f"the ward card is not in view at {width} px (top {top})"
        # clear the found ward for the next width
        driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.find_clear('access')}"))
        time.sleep(1)
    driver.set_window_size(1366, 900)


def test_current_network_legend_and_markers_never_say_closed(dash_duo, luton_app):
    """Current (2020) with no comparison: no marker is a cross and the hover of a proposed hub
    says it is not in this scenario."""
    dash_duo.start_server(luton_app)
    dash_duo.driver.get(dash_duo.server_url + "/?page=access&base=current_2020&cmp=none")
    dash_duo.wait_for_element("#headline-alt", timeout=20)
    deadline = time.time() + 20
    symbols, texts = [], []
    while time.time() < deadline:
        symbols, texts = dash_duo.driver.execute_script(
            f"const g = document.querySelector('#{ids.ACCESS_MAP} .js-plotly-plot');"
            "return g && g.data && g.data[2] ? [g.data[2].marker.symbol, g.data[2].hovertext] : [[], []];"
        )
        if texts and any("not in this scenario" in t for t in texts):
            break
        time.sleep(0.3)
    assert symbols and "x" not in symbols
    (manor,) = [t for t in texts if t.startswith("<b>Manor Contact Centre")]
    assert "not in this scenario" in manor and "close" not in manor.split("<br>")[2]
