// Draws the graph page's records and links with Cytoscape.js (served from /static); the lists stay below.
(function () {
  "use strict";
  var data = document.getElementById("graph-data");
  var box = document.getElementById("cy");
  if (!data || !box || typeof window.cytoscape !== "function") { return; }
  var graph = JSON.parse(data.textContent);
  var colours = { actor: "#0b5cad", policy: "#a8261b", statement: "#7a4fb0", hardware: "#1f7a3a" };
  box.hidden = false;
  document.getElementById("cy-legend").hidden = false;
  var cy = window.cytoscape({
    container: box,
    elements: { nodes: graph.nodes, edges: graph.edges },
    style: [
      { selector: "node", style: {
        "label": "data(label)", "font-size": 9, "min-zoomed-font-size": 7, "text-wrap": "ellipsis", "text-max-width": 110,
        "width": 14, "height": 14, "color": "#1b1f24", "text-valign": "bottom", "text-margin-y": 3,
        "background-color": function (n) { return colours[n.data("type")] || "#5b6470"; } } },
      { selector: "node[depth = 0]", style: { "width": 26, "height": 26, "font-size": 12, "font-weight": "bold" } },
      { selector: "edge", style: {
        "width": 1, "line-color": "#b8c0c8", "target-arrow-color": "#b8c0c8", "target-arrow-shape": "triangle",
        "arrow-scale": 0.6, "curve-style": "bezier" } },
      { selector: "edge[status = 'rumoured'], edge[status = 'planned']", style: { "line-style": "dashed" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#f5a623" } }
    ],
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: function () { return 9000; } }
  });
  cy.on("tap", "node", function (event) {
    var href = event.target.data("href");
    if (href) { window.location.href = href.replace(/^\/v1/, ""); }
  });
  window.techsovGraph = cy;
})();
