// Every Needs Map geo map hides plotly's world outline (geo.visible = false, figures.py), yet
// plotly.js fetches and parses that outline (137 KB) before it draws a map's first frame. Hand it
// an empty one instead: same objects, no shapes. Maps with the street basemap (MapLibre) do not
// use it. The full outline stays in assets/topojson for anything that shows it.
window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};
window.PlotlyGeoAssets.topojson.world_110m = {"type": "Topology", "objects": {"coastlines": {"type": "GeometryCollection", "geometries": []}, "land": {"type": "GeometryCollection", "geometries": []}, "ocean": {"type": "GeometryCollection", "geometries": []}, "lakes": {"type": "GeometryCollection", "geometries": []}, "rivers": {"type": "GeometryCollection", "geometries": []}, "countries": {"type": "GeometryCollection", "geometries": []}, "subunits": {"type": "GeometryCollection", "geometries": []}}, "arcs": [], "transform": {"scale": [0.036003600360036005, 0.018001800180018002], "translate": [-180, -90]}, "bbox": [-180, -90, 180, 90]};
